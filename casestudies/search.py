"""Finding published case studies: filters, full-text search, facet counts and related ones.

Costs are bounded so that pages stay fast at 100,000 case studies:
- the search vector is a stored generated column behind a GIN index (see fields.py);
- relevance ranking scores only the RANK_POOL newest matches, never every match of a common term;
- result counts and facet counts look at no more than COUNT_CAP / FACET_CAP rows, and the
  unfiltered facet summary is cached until something is published or archived.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Concat
from django.utils.functional import cached_property
from taggit.models import Tag, TaggedItem

from anchors.models import Organisation, Pillar, Region

from .fields import SEARCH_CONFIG
from .models import CaseStudy

PAGE_SIZE = 20
COUNT_CAP = 1000
FACET_CAP = 2000
RANK_POOL = 1000
TOP_TAGS = 15
SUMMARY_KEY = "casestudies:facet-summary"
SUMMARY_SECONDS = 3600


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def forget_summaries() -> None:
    """Called after anything is published or archived (and by the seed loader)."""
    cache.delete(SUMMARY_KEY)


@dataclass
class Filters:
    q: str = ""
    pillars: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    sort: str = "newest"
    sort_chosen: str = ""

    @classmethod
    def from_query(cls, params) -> Filters:
        q = " ".join(params.get("q", "").split())[:200]
        # Relevance unless newest is asked for; without search words, newest is the only order.
        chosen = params.get("sort")
        sort = "relevance" if q and chosen != "newest" else "newest"
        return cls(
            q=q,
            pillars=params.getlist("pillar")[:10],
            regions=params.getlist("region")[:10],
            types=params.getlist("type")[:10],
            tags=params.getlist("tag")[:10],
            sort=sort,
            sort_chosen="newest" if params.get("sort") == "newest" else "relevance",
        )

    @property
    def is_empty(self) -> bool:
        return not (self.q or self.pillars or self.regions or self.types or self.tags)


def _tags_filter(slugs: list[str]) -> Exists:
    return Exists(
        TaggedItem.objects.filter(
            content_type__app_label="casestudies",
            content_type__model="casestudy",
            object_id=OuterRef("pk"),
            tag__slug__in=slugs,
        )
    )


def _pillars_filter(slugs: list[str]) -> Exists:
    return Exists(
        CaseStudy.pillars.through.objects.filter(casestudy_id=OuterRef("pk"), pillar__slug__in=slugs)
    )


def _text_filter(q: str) -> tuple[Q, SearchQuery | None]:
    if is_postgres():
        query = SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
        return Q(search_vector=query), query
    # SQLite: every word must appear, "-word" must not; quotes keep a phrase together.
    condition = Q()
    for negate, phrase in _words(q):
        term = Q(search_vector__contains=phrase.lower())
        condition &= ~term if negate else term
    return condition, None


def _words(q: str) -> list[tuple[bool, str]]:
    words = []
    for quoted_neg, quoted, neg, word in re.findall(r'(-?)"([^"]+)"|(-?)([^\s"]+)', q):
        if quoted:
            words.append((bool(quoted_neg), quoted))
        elif word.lower() != "or":
            words.append((bool(neg), word))
    return words


def filtered(filters: Filters) -> tuple[QuerySet, SearchQuery | None]:
    qs = CaseStudy.objects.published()
    if filters.pillars:
        qs = qs.filter(_pillars_filter(filters.pillars))
    if filters.tags:
        qs = qs.filter(_tags_filter(filters.tags))
    if filters.regions:
        qs = qs.filter(organisation__region__code__in=filters.regions)
    if filters.types:
        qs = qs.filter(organisation__type__in=filters.types)
    query = None
    if filters.q:
        condition, query = _text_filter(filters.q)
        qs = qs.filter(condition)
    return qs, query


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP + 1 rows: beyond that, 'more than 1,000' is all a reader needs."""

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by().values("pk")[: COUNT_CAP + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > COUNT_CAP


@dataclass
class Results:
    page: object
    case_studies: list
    facets: dict
    filters: Filters
    capped: bool


def search(filters: Filters, page_number) -> Results:
    qs, query = filtered(filters)
    ordered = qs.order_by("-published_at", "-pk")
    if query is not None and filters.sort == "relevance":
        # Rank only the newest RANK_POOL matches: ranking 40,000 matches of a common word costs
        # a second, and the best of the newest thousand is what a reader wants anyway.
        pool = qs.order_by("-published_at", "-pk").values("pk")[:RANK_POOL]
        ordered = (
            CaseStudy.objects.filter(pk__in=pool)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "-published_at", "-pk")
        )
    elif filters.q and filters.sort == "relevance":
        # SQLite: a title match first, then the newest.
        ordered = qs.annotate(
            in_title=Case(When(title__icontains=filters.q, then=Value(1)), default=Value(0))
        ).order_by("-in_title", "-published_at", "-pk")

    paginator = CappedPaginator(ordered.values_list("pk", flat=True), PAGE_SIZE)
    page = paginator.get_page(page_number)
    ids = list(page.object_list)
    rows = CaseStudy.objects.filter(pk__in=ids).for_cards()
    if query is not None:
        rows = rows.annotate(
            snippet=SearchHeadline(
                Concat("summary", Value(" "), "context", Value(" "), "approach", Value(" "), "outcomes",
                       output_field=TextField()),
                query,
                config=SEARCH_CONFIG,
                start_sel="<mark>",
                stop_sel="</mark>",
                max_words=35,
                min_words=15,
                max_fragments=2,
            )
        )
    by_id = {cs.pk: cs for cs in rows}
    case_studies = [by_id[pk] for pk in ids if pk in by_id]
    return Results(
        page=page,
        case_studies=case_studies,
        facets=facet_counts(filters, qs),
        filters=filters,
        capped=paginator.is_capped,
    )


# --- Facets ------------------------------------------------------------------------------------


def _count_facets(ids: QuerySet) -> dict:
    pillars = dict(
        CaseStudy.pillars.through.objects.filter(casestudy_id__in=ids)
        .values_list("pillar_id")
        .annotate(n=Count("*"))
        .values_list("pillar_id", "n")
    )
    regions = dict(
        CaseStudy.objects.filter(pk__in=ids)
        .values_list("organisation__region_id")
        .annotate(n=Count("*"))
        .values_list("organisation__region_id", "n")
    )
    types = dict(
        CaseStudy.objects.filter(pk__in=ids)
        .values_list("organisation__type")
        .annotate(n=Count("*"))
        .values_list("organisation__type", "n")
    )
    tags = list(
        TaggedItem.objects.filter(
            content_type__app_label="casestudies", content_type__model="casestudy", object_id__in=ids
        )
        .values_list("tag_id")
        .annotate(n=Count("*"))
        .order_by("-n", "tag_id")
        .values_list("tag_id", "n")[:TOP_TAGS]
    )
    return {"pillars": pillars, "regions": regions, "types": types, "tags": tags}


def facet_counts(filters: Filters, qs: QuerySet) -> dict:
    """Counts per pillar, region, organisation type and tag among the results (among the
    newest FACET_CAP results when there are more). The unfiltered summary is cached."""
    if filters.is_empty:
        counts = cache.get(SUMMARY_KEY)
        if counts is None:
            counts = _count_facets(CaseStudy.objects.published().values("pk"))
            cache.set(SUMMARY_KEY, counts, SUMMARY_SECONDS)
    else:
        counts = _count_facets(qs.order_by("-published_at", "-pk").values("pk")[:FACET_CAP])
    return _label_facets(filters, counts)


def _label_facets(filters: Filters, counts: dict) -> dict:
    pillars = [
        {"value": p.slug, "label": p.name, "count": counts["pillars"].get(p.pk, 0),
         "selected": p.slug in filters.pillars}
        for p in Pillar.objects.all()
    ]
    regions = [
        {"value": r.code, "label": r.name, "count": counts["regions"].get(r.pk, 0),
         "selected": r.code in filters.regions}
        for r in Region.objects.all()
    ]
    types = [
        {"value": value, "label": label, "count": counts["types"].get(value, 0),
         "selected": value in filters.types}
        for value, label in Organisation.Type.choices
        if counts["types"].get(value) or value in filters.types
    ]
    tag_counts = dict(counts["tags"])
    tag_ids = list(tag_counts)
    selected_tags = list(Tag.objects.filter(Q(pk__in=tag_ids) | Q(slug__in=filters.tags)))
    selected_tags.sort(key=lambda t: (-tag_counts.get(t.pk, 0), t.name))
    tags = [
        {"value": t.slug, "label": t.name, "count": tag_counts.get(t.pk, 0), "selected": t.slug in filters.tags}
        for t in selected_tags
    ]
    return {"pillar": pillars, "region": regions, "type": types, "tag": tags}


# --- Related -----------------------------------------------------------------------------------


def related_to(case_study: CaseStudy, limit: int = 3) -> list[CaseStudy]:
    """Up to `limit` published case studies sharing a pillar or a tag, same region first.

    Two bounded queries (same region, then anywhere), each walking the newest first and
    stopping at `limit`, so the cost does not grow with the table."""
    pillar_ids = [p.pk for p in case_study.pillars.all()]
    tag_ids = [t.pk for t in case_study.tags.all()]
    shares = Exists(
        CaseStudy.pillars.through.objects.filter(casestudy_id=OuterRef("pk"), pillar_id__in=pillar_ids)
    ) | Exists(
        TaggedItem.objects.filter(
            content_type__app_label="casestudies",
            content_type__model="casestudy",
            object_id=OuterRef("pk"),
            tag_id__in=tag_ids,
        )
    )
    base = (
        CaseStudy.objects.published()
        .exclude(pk=case_study.pk)
        .filter(shares)
        .defer("search_vector", "context", "approach", "outcomes", "lessons", "next_steps")
        .select_related("organisation")
        .order_by("-published_at", "-pk")
    )
    region_id = case_study.organisation.region_id
    same_region = list(base.filter(organisation__region_id=region_id)[:limit])
    elsewhere = list(base.exclude(organisation__region_id=region_id)[:limit])
    return (same_region + elsewhere)[:limit]
