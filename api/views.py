"""Open data: read-only endpoints over what any visitor can see, newest first, 50 to a page."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from anchors.models import Organisation, Pillar, Region
from casestudies.models import SECTION_HTML_FIELDS, CaseStudy, OutcomeMeasure
from casestudies.search import Filters, filtered
from evidence import years
from evidence.models import AnnualFigure, CommitmentSignature, StandardMeasure

from . import serializers

LICENCE = "Open Government Licence v3.0"
LICENCE_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
ORGANISATION_TYPES = [value for value, _label in Organisation.Type.choices]


class ReadOnlyMixin:
    csv_name = "data"

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:  # ?format= names a format the API does not have
            raise ValidationError({"format": _("Ask for format=json (the default) or format=csv.")}) from None

    def finalize_response(self, request, response, *args, **kwargs):
        # An error is always JSON, even when CSV was asked for: a spreadsheet of one error
        # message helps nobody, and clients check the JSON body.
        if getattr(response, "exception", False):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Link"] = f'<{LICENCE_URL}>; rel="license"; title="{LICENCE}"'
        return response


def _many(params: QueryDict, name: str) -> list[str]:
    return [v for v in params.getlist(name) if v][:10]


def _check(name: str, given: list[str], known, message: str) -> None:
    """`message` is the whole sentence, with %(values)s for the unknown values."""
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ValidationError({name: message % {"values": ", ".join(unknown)}})


def _check_region_and_type(params: QueryDict) -> None:
    regions = _many(params, "region")
    if regions:
        _check("region", regions, Region.objects.filter(code__in=regions).values_list("code", flat=True),
               _("Unknown region code (use codes like Y56, from /api/v1/): %(values)s."))
    _check("type", _many(params, "type"), ORGANISATION_TYPES, _("Unknown organisation type: %(values)s."))


def _check_pillars(params: QueryDict) -> None:
    pillars = _many(params, "pillar")
    if pillars:
        _check("pillar", pillars, Pillar.objects.filter(slug__in=pillars).values_list("slug", flat=True),
               _("Unknown pillar: %(values)s."))


MANY = "Repeat the parameter for more than one: either matches."
REGION = OpenApiParameter("region", str, many=True, description=f"Region code, like Y56. {MANY}")
TYPE = OpenApiParameter("type", str, many=True, enum=ORGANISATION_TYPES, description=f"Organisation type. {MANY}")
PILLAR = OpenApiParameter("pillar", str, many=True, description=f"Pillar id, like purchasing. {MANY}")
CSV = OpenApiParameter("format", str, enum=["json", "csv"], description="csv for a spreadsheet of this page.")


class Root(ReadOnlyMixin, APIView):
    @extend_schema(exclude=True)
    def get(self, request):
        return Response({
            "licence": {"name": LICENCE, "url": LICENCE_URL},
            "documentation": request.build_absolute_uri(reverse("api:docs")),
            "schema": reverse("api:schema", request=request),
            "endpoints": {
                "case_studies": reverse("api:case-studies", request=request),
                "organisations": reverse("api:organisations", request=request),
                "measures": reverse("api:measures", request=request),
                "figures": reverse("api:figures", request=request),
            },
            "regions": {r.code: r.name for r in Region.objects.all()},
            "pillars": {p.slug: p.name for p in Pillar.objects.all()},
            "organisation_types": dict(Organisation.Type.choices),
        })


# --- Case studies ------------------------------------------------------------------------------


def _case_studies(qs=None):
    return (
        (CaseStudy.objects.all() if qs is None else qs).defer("search_vector", "contact_name", "contact_email", *SECTION_HTML_FIELDS)
        .select_related("organisation", "organisation__region")
        .prefetch_related(
            "pillars", "tags",
            Prefetch("measures", queryset=OutcomeMeasure.objects.select_related("standard_measure")),
        )
    )


@extend_schema(
    summary="Published case studies",
    description="Newest first. The same filters and search as the case studies page.",
    parameters=[
        OpenApiParameter("q", str, description="Search words: quotes for a phrase, -word to leave one out, or."),
        PILLAR, REGION, TYPE,
        OpenApiParameter("tag", str, many=True, description=f"Tag id (its slug). {MANY}"),
        CSV,
    ],
)
class CaseStudyList(ReadOnlyMixin, generics.ListAPIView):
    serializer_class = serializers.CaseStudySerializer
    csv_name = "case-studies"

    def get_queryset(self):
        params = self.request.query_params
        _check_pillars(params)
        _check_region_and_type(params)
        if len(params.get("q", "")) > 200:
            raise ValidationError({"q": _("Search words must be 200 characters or fewer.")})
        qs, _query = filtered(Filters.from_query(params))
        return _case_studies(qs).order_by("-published_at", "-pk")


@extend_schema(summary="One published case study", parameters=[CSV])
class CaseStudyDetail(ReadOnlyMixin, generics.RetrieveAPIView):
    serializer_class = serializers.CaseStudySerializer
    lookup_field = "slug"
    csv_name = "case-study"

    def get_queryset(self):
        return _case_studies().filter(status=CaseStudy.Status.PUBLISHED)


# --- Organisations -----------------------------------------------------------------------------


def _organisations():
    return (
        Organisation.objects.verified()
        .select_related("region")
        .prefetch_related(
            "pillars",
            Prefetch(
                "annual_figures",
                queryset=AnnualFigure.objects.published().select_related("measure").order_by("measure__slug", "year"),
                to_attr="published_figures",
            ),
            Prefetch("commitment_signatures", queryset=CommitmentSignature.objects.select_related("commitment")),
        )
    )


@extend_schema(
    summary="Verified member organisations",
    description="With their published annual figures and the commitments they have signed. In name order.",
    parameters=[
        OpenApiParameter("q", str, description="Words in the organisation's name."),
        REGION, TYPE, PILLAR, CSV,
    ],
)
class OrganisationList(ReadOnlyMixin, generics.ListAPIView):
    serializer_class = serializers.OrganisationSerializer
    csv_name = "organisations"

    def get_queryset(self):
        params = self.request.query_params
        _check_pillars(params)
        _check_region_and_type(params)
        qs = _organisations()
        if regions := _many(params, "region"):
            qs = qs.filter(region__code__in=regions)
        if types := _many(params, "type"):
            qs = qs.filter(type__in=types)
        if pillars := _many(params, "pillar"):
            qs = qs.filter(pk__in=Organisation.pillars.through.objects.filter(pillar__slug__in=pillars)
                           .values("organisation_id"))
        for word in params.get("q", "").split()[:10]:
            qs = qs.filter(name__icontains=word)
        return qs.order_by("name", "pk")


@extend_schema(summary="One verified organisation", parameters=[CSV])
class OrganisationDetail(ReadOnlyMixin, generics.RetrieveAPIView):
    serializer_class = serializers.OrganisationSerializer
    lookup_field = "slug"
    csv_name = "organisation"

    def get_queryset(self):
        return _organisations()


# --- Evidence ----------------------------------------------------------------------------------


@extend_schema(summary="Standard measures", parameters=[PILLAR, CSV])
class MeasureList(ReadOnlyMixin, generics.ListAPIView):
    serializer_class = serializers.MeasureSerializer
    csv_name = "measures"

    def get_queryset(self):
        _check_pillars(self.request.query_params)
        qs = StandardMeasure.objects.select_related("pillar")
        if pillars := _many(self.request.query_params, "pillar"):
            qs = qs.filter(pillar__slug__in=pillars)
        return qs


@extend_schema(summary="One standard measure", parameters=[CSV])
class MeasureDetail(ReadOnlyMixin, generics.RetrieveAPIView):
    serializer_class = serializers.MeasureSerializer
    lookup_field = "slug"
    queryset = StandardMeasure.objects.select_related("pillar")
    csv_name = "measure"


@extend_schema(
    summary="Published annual figures",
    description="Verified organisations' published figures, by measure, organisation and financial year. "
    "A year is named by the calendar year it starts in: 2024 is 2024/25 (April to March).",
    parameters=[
        OpenApiParameter("measure", str, many=True, description=f"Standard measure id. {MANY}"),
        OpenApiParameter("organisation", str, many=True, description=f"Organisation id. {MANY}"),
        OpenApiParameter("year", OpenApiTypes.INT, description="Financial year, by its starting year: 2024."),
        REGION, TYPE, CSV,
    ],
)
class FigureList(ReadOnlyMixin, generics.ListAPIView):
    serializer_class = serializers.FigureSerializer
    csv_name = "figures"

    def get_queryset(self):
        params = self.request.query_params
        _check_region_and_type(params)
        qs = AnnualFigure.objects.published().filter(organisation__status=Organisation.Status.VERIFIED)
        if measures := _many(params, "measure"):
            _check("measure", measures, StandardMeasure.objects.filter(slug__in=measures)
                   .values_list("slug", flat=True), _("Unknown measure: %(values)s."))
            qs = qs.filter(measure__slug__in=measures)
        if organisations := _many(params, "organisation"):
            qs = qs.filter(organisation__slug__in=organisations)
        if "year" in params:
            year = years.parse(params["year"])
            if year is None:
                raise ValidationError({"year": _("Give a financial year by its starting year, like 2024.")})
            qs = qs.filter(year=year)
        if regions := _many(params, "region"):
            qs = qs.filter(organisation__region__code__in=regions)
        if types := _many(params, "type"):
            qs = qs.filter(organisation__type__in=types)
        return qs.select_related("measure", "organisation", "organisation__region").order_by(
            "measure__slug", "organisation__name", "year", "pk"
        )


def docs(request):
    """The "Use this data" page: what there is, how to ask for it, and the licence."""
    return render(request, "api/docs.html", {"licence_url": LICENCE_URL})


