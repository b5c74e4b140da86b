"""What the API shows of each thing: only what a visitor sees on the site. Case studies leave
out their contact person and email; organisations leave out their email domains and people."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.mail import absolute_url
from anchors.models import Organisation, Pillar, Region
from casestudies.models import SECTIONS, CaseStudy, OutcomeMeasure
from evidence import years
from evidence.models import AnnualFigure, CommitmentSignature, StandardMeasure


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name"]


@extend_schema_field(OpenApiTypes.URI)
class SiteLinkField(serializers.Field):
    """The page on the site where a person reads the same thing."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, obj):
        return absolute_url(obj.get_absolute_url())


class OrganisationSummarySerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="slug")
    region = RegionSerializer()
    type_label = serializers.CharField(source="get_type_display")

    class Meta:
        model = Organisation
        fields = ["id", "name", "type", "type_label", "region", "ods_code"]


class PillarSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="slug")

    class Meta:
        model = Pillar
        fields = ["id", "name"]


class OutcomeSerializer(serializers.ModelSerializer):
    standard_measure = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = OutcomeMeasure
        fields = ["measure", "standard_measure", "value", "unit", "baseline", "period"]


class CaseStudySerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="slug", help_text="Stable: the same as in the page's address.")
    url = serializers.SerializerMethodField()
    web_url = SiteLinkField()
    organisation = OrganisationSummarySerializer()
    pillars = PillarSerializer(many=True)
    tags = serializers.SerializerMethodField()
    outcome_measures = OutcomeSerializer(source="measures", many=True)
    sections = serializers.SerializerMethodField()

    class Meta:
        model = CaseStudy
        fields = [
            "id", "url", "web_url", "title", "summary", "period", "published_at", "organisation",
            "pillars", "tags", "outcome_measures", "sections",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj) -> str:
        return absolute_url(reverse("api:case-study", kwargs={"slug": obj.slug}))

    def get_tags(self, obj) -> list[str]:
        return sorted(tag.name for tag in obj.tags.all())

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"},
                          "description": "Each section's text, in Markdown: " + ", ".join(n for n, _h, _x in SECTIONS)})
    def get_sections(self, obj) -> dict:
        return {name: getattr(obj, name) for name, _heading, _hint in SECTIONS}


class FigureInOrganisationSerializer(serializers.ModelSerializer):
    measure = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    year_label = serializers.CharField()
    formatted = serializers.CharField()

    class Meta:
        model = AnnualFigure
        fields = ["measure", "year", "year_label", "value", "formatted"]


class SignatureSerializer(serializers.ModelSerializer):
    commitment = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    title = serializers.CharField(source="commitment.title")
    signed_on = serializers.SerializerMethodField()

    class Meta:
        model = CommitmentSignature
        fields = ["commitment", "title", "signed_on"]

    @extend_schema_field(OpenApiTypes.DATE)
    def get_signed_on(self, obj):
        return obj.signed_at.date().isoformat()


class OrganisationSerializer(OrganisationSummarySerializer):
    url = serializers.SerializerMethodField()
    web_url = SiteLinkField()
    pillars = PillarSerializer(many=True)
    published_figures = FigureInOrganisationSerializer(many=True, help_text="Published annual figures only.")
    commitments = SignatureSerializer(source="commitment_signatures", many=True)

    class Meta(OrganisationSummarySerializer.Meta):
        fields = [
            *OrganisationSummarySerializer.Meta.fields, "url", "web_url", "website", "description", "pledge",
            "pillars", "published_figures", "commitments",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj) -> str:
        return absolute_url(reverse("api:organisation", kwargs={"slug": obj.slug}))


class MeasureSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="slug")
    pillar = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = StandardMeasure
        fields = ["id", "name", "definition", "unit_kind", "better", "pillar", "is_active"]


class FigureSerializer(serializers.ModelSerializer):
    organisation = OrganisationSummarySerializer()
    measure = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    unit_kind = serializers.CharField(source="measure.unit_kind")
    year_label = serializers.SerializerMethodField()
    formatted = serializers.CharField()

    class Meta:
        model = AnnualFigure
        fields = ["id", "organisation", "measure", "unit_kind", "year", "year_label", "value", "formatted",
                  "note", "source", "published_at"]

    def get_year_label(self, obj) -> str:
        return years.label(obj.year)
