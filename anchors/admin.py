from django import forms
from django.contrib import admin

from sitecache import ContentChangeAdminMixin

from .models import (
    Coordinator,
    IntegratedCareBoard,
    Membership,
    MembershipEvent,
    Organisation,
    Pillar,
    Region,
    RegionalLead,
    SharedEmailDomain,
)


@admin.register(Region)
class RegionAdmin(ContentChangeAdminMixin, admin.ModelAdmin):
    list_display = ["name", "name_cy", "code", "slug"]
    search_fields = ["name", "name_cy", "code"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Pillar)
class PillarAdmin(ContentChangeAdminMixin, admin.ModelAdmin):
    list_display = ["name", "name_cy", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(IntegratedCareBoard)
class IntegratedCareBoardAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "region", "closed_on"]
    list_filter = ["region", ("closed_on", admin.EmptyFieldListFilter)]
    search_fields = ["name", "code"]


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "organisation"
    extra = 0
    raw_id_fields = ["user", "decided_by"]
    fields = ["user", "role", "status", "reason", "decided_by", "decided_at"]


@admin.register(Organisation)
class OrganisationAdmin(ContentChangeAdminMixin, admin.ModelAdmin):
    """For inspection and repairs; the site's pages and services carry out the workflow."""

    list_display = ["name", "ods_code", "type", "region", "status", "closed_on"]
    list_filter = ["status", "type", "region"]
    search_fields = ["name", "ods_code"]
    list_select_related = ["region"]
    raw_id_fields = ["registered_by", "decided_by"]
    filter_horizontal = ["pillars"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [MembershipInline]


class MembershipEventInline(admin.TabularInline):
    """The membership's history, as the services recorded it: read only."""

    model = MembershipEvent
    extra = 0
    can_delete = False
    fields = ["at", "action", "by", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "status", "requested_at"]
    list_filter = ["status", "role"]
    search_fields = ["user__email", "user__full_name", "organisation__name"]
    list_select_related = ["user", "organisation"]
    raw_id_fields = ["user", "organisation", "decided_by", "ended_by"]
    inlines = [MembershipEventInline]


class LowercaseDomainField(forms.CharField):
    def to_python(self, value):
        # People paste "@NHS.net" as often as "nhs.net"; store the one form matching compares.
        return super().to_python(value).lower().lstrip("@")


class SharedEmailDomainForm(forms.ModelForm):
    class Meta:
        model = SharedEmailDomain
        fields = ["domain", "note"]
        field_classes = {"domain": LowercaseDomainField}


@admin.register(SharedEmailDomain)
class SharedEmailDomainAdmin(admin.ModelAdmin):
    """Domains that never admit anyone to an organisation (coordinators keep this list)."""

    form = SharedEmailDomainForm
    list_display = ["domain", "note"]
    search_fields = ["domain", "note"]


@admin.register(RegionalLead)
class RegionalLeadAdmin(admin.ModelAdmin):
    list_display = ["user", "region", "appointed_by", "appointed_at"]
    list_filter = ["region"]
    list_select_related = ["user", "region", "appointed_by"]
    raw_id_fields = ["user", "appointed_by"]


@admin.register(Coordinator)
class CoordinatorAdmin(admin.ModelAdmin):
    list_display = ["user", "appointed_by", "appointed_at"]
    list_select_related = ["user", "appointed_by"]
    raw_id_fields = ["user", "appointed_by"]
