from django.contrib import admin

from sitecache import ContentChangeAdminMixin

from .models import (
    SECTION_FIELDS,
    Attachment,
    CaseStudy,
    OutcomeMeasure,
    Partner,
    Resource,
    Revision,
    Transition,
)
from .services import rendered_sections


class OutcomeMeasureInline(admin.TabularInline):
    model = OutcomeMeasure
    extra = 0


class PartnerInline(admin.TabularInline):
    model = Partner
    extra = 0
    raw_id_fields = ["organisation"]


class TransitionInline(admin.TabularInline):
    """The workflow record is written by services only: read it here, never edit it."""

    model = Transition
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_status", "to_status", "by", "at", "comment", "revision"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CaseStudy)
class CaseStudyAdmin(ContentChangeAdminMixin, admin.ModelAdmin):
    list_display = ["title", "organisation", "status", "published_at"]
    list_filter = ["status", "pillars", "organisation__region"]
    search_fields = ["title", "slug", "organisation__name"]
    raw_id_fields = ["organisation", "created_by"]
    # State changes go through the moderation pages so they are recorded and emailed.
    readonly_fields = ["status", "submitted_at", "published_at", "archived_at", "created_at", "updated_at"]
    inlines = [OutcomeMeasureInline, PartnerInline, TransitionInline]
    list_select_related = ["organisation"]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        # Pages show the stored HTML, so an edit here renders it as the services do.
        for name, html in rendered_sections({n: getattr(obj, n) for n in SECTION_FIELDS}).items():
            setattr(obj, f"{name}_html", html)
        super().save_model(request, obj, form, change)


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["title", "case_study", "content_type", "size", "uploaded_at"]
    raw_id_fields = ["case_study", "uploaded_by"]


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = ["case_study", "status", "created_at", "submitted_at"]
    list_filter = ["status"]
    raw_id_fields = ["case_study", "created_by"]
    readonly_fields = ["status"]

    def save_model(self, request, obj, form, change):
        obj.content_html = rendered_sections(obj.content or {})
        super().save_model(request, obj, form, change)


@admin.register(Resource)
class ResourceAdmin(ContentChangeAdminMixin, admin.ModelAdmin):
    list_display = ["title", "kind", "organisation", "status", "published_at"]
    list_filter = ["status", "kind", "pillars", "organisation__region"]
    search_fields = ["title", "slug", "organisation__name", "partner_name"]
    raw_id_fields = ["organisation", "partner_organisation", "suggested_by"]
    # State changes go through the moderation pages so they are recorded and emailed; the file's
    # checked type and size are written by the services that accept uploads.
    readonly_fields = ["status", "file", "original_name", "content_type", "extension", "size", "submitted_at",
                       "published_at", "archived_at", "created_at", "updated_at"]
    inlines = [TransitionInline]
    list_select_related = ["organisation"]
    show_full_result_count = False
