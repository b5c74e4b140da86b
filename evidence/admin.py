from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from sitecache import ContentChangeAdminMixin

from .models import (
    AnnualFigure,
    Commitment,
    CommitmentSignature,
    MaturityLevel,
    SelfAssessment,
    SelfAssessmentAnswer,
    StandardMeasure,
)
from .units import validate_value


@admin.register(StandardMeasure)
class StandardMeasureAdmin(ContentChangeAdminMixin, admin.ModelAdmin):
    list_display = ["name", "pillar", "unit_kind", "better", "position", "is_active"]
    list_filter = ["pillar", "unit_kind", "is_active"]
    list_editable = ["position"]
    list_select_related = ["pillar"]
    search_fields = ["name", "definition"]
    prepopulated_fields = {"slug": ["name"]}


class CommitmentForm(forms.ModelForm):
    class Meta:
        model = Commitment
        fields = ["title", "slug", "description", "measure", "target_value", "target_date", "is_open"]

    def clean(self):
        data = super().clean()
        measure, target = data.get("measure"), data.get("target_value")
        if measure is not None and target is not None:
            try:
                validate_value(target, measure.unit_kind)
            except ValidationError as error:
                self.add_error("target_value", error)
        return data


@admin.register(Commitment)
class CommitmentAdmin(ContentChangeAdminMixin, admin.ModelAdmin):
    form = CommitmentForm
    list_display = ["title", "measure", "target_value", "target_date", "is_open"]
    list_filter = ["is_open", "measure__pillar"]
    list_select_related = ["measure"]
    search_fields = ["title", "description"]
    prepopulated_fields = {"slug": ["title"]}


@admin.register(MaturityLevel)
class MaturityLevelAdmin(ContentChangeAdminMixin, admin.ModelAdmin):
    list_display = ["pillar", "level", "name"]
    list_filter = ["pillar"]
    list_select_related = ["pillar"]
    ordering = ["pillar__position", "level"]


# Organisations' own evidence changes through the site's pages; these are for inspection.


@admin.register(AnnualFigure)
class AnnualFigureAdmin(admin.ModelAdmin):
    list_display = ["organisation", "measure", "year", "value", "status"]
    list_filter = ["status", "year", "measure"]
    list_select_related = ["organisation", "measure"]
    search_fields = ["organisation__name"]
    raw_id_fields = ["organisation", "recorded_by", "published_by"]


@admin.register(CommitmentSignature)
class CommitmentSignatureAdmin(admin.ModelAdmin):
    list_display = ["commitment", "organisation", "signed_at"]
    list_select_related = ["commitment", "organisation"]
    raw_id_fields = ["organisation", "signed_by"]


class SelfAssessmentAnswerInline(admin.TabularInline):
    model = SelfAssessmentAnswer
    extra = 0


@admin.register(SelfAssessment)
class SelfAssessmentAdmin(admin.ModelAdmin):
    list_display = ["organisation", "year", "completed_at"]
    list_filter = ["year"]
    list_select_related = ["organisation"]
    raw_id_fields = ["organisation", "completed_by"]
    inlines = [SelfAssessmentAnswerInline]
