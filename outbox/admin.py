from django.contrib import admin

from .models import OutgoingEmail


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    """Read-only, for superusers. The bodies are never shown: they can hold sign-in and
    password reset links."""

    list_display = ["created_at", "status", "to", "subject", "attempts", "last_error", "sent_at"]
    list_filter = ["status"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    fields = ["to", "subject", "status", "attempts", "last_error", "created_at", "next_attempt_at", "claimed_until", "sent_at"]
    readonly_fields = fields

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
