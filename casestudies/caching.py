"""What case-study pages keep in the cache: reference-data labels, the facet summary of every
published case study, and the public case study shown on its page.

Labels and case studies are keyed on the content version (see sitecache), so a publish, an
archive, an organisation's change or a reference-data change retires them after its commit.

The facet summary (total and counts per pillar, region, type and tag over every published case
study, and under "resources" the same counts, with counts per kind, over every published
resource) is different: counting 100,000 rows is a worker's job. A change that alters the counts
asks for a new summary after its commit (summary_wanted); the worker builds it
(rebuild_facet_summary task); until it lands, pages show the previous summary and are not put
in the page cache, so the page cache never keeps an old count under a new version. Only the
very first build (an empty cache) happens inside a request.
"""

from __future__ import annotations

import time

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Case as CaseWhen
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, Value, When
from taggit.models import Tag, TaggedItem

import sitecache
from anchors.models import Organisation, Pillar, Region
from resilience.broker import safe_delay

from .models import SECTION_FIELDS, SECTION_HTML_FIELDS, CaseStudy, Partner, Resource

TOP_TAGS = 15
SUMMARY_KEY = "casestudies:facet-summary:v3"  # v3: with resources
SUMMARY_WANTED_KEY = "casestudies:facet-summary:wanted"
PUBLIC_STATUSES = (CaseStudy.Status.PUBLISHED, CaseStudy.Status.ARCHIVED)


# --- Labels ------------------------------------------------------------------------------------


def reference_labels() -> dict:
    """Pillars and regions in their order, organisation types, and every tag: what facets,
    filters and cards need to name things, without a query each. Names are each one's `label`
    (Welsh on a Welsh page): the fragment is kept per language, as every sitecache fragment is."""

    def build() -> dict:
        return {
            "pillars": [(p.pk, p.slug, p.label) for p in Pillar.objects.only("slug", "name", "name_cy")],
            "regions": [(r.pk, r.code, r.label) for r in Region.objects.only("code", "name", "name_cy")],
            "types": [(value, str(label)) for value, label in Organisation.Type.choices],
            "tags": {pk: (slug, name) for pk, slug, name in Tag.objects.values_list("pk", "slug", "name")},
        }

    return sitecache.fragment("labels", (), build)


# --- Facet summary -----------------------------------------------------------------------------


def _wanted() -> int:
    wanted = cache.get(SUMMARY_WANTED_KEY)
    return 0 if wanted is None else wanted


def facet_summary() -> tuple[dict, bool]:
    """(summary, fresh): the latest summary, and whether it already counts every change that
    has committed. Built here only when there is none at all."""
    summary = cache.get(SUMMARY_KEY)
    if summary is None:
        summary = rebuild_facet_summary()
    return summary, summary["wanted"] >= _wanted()


def rebuild_facet_summary() -> dict:
    """Count every published case study and store the result. Reads the wanted generation
    first: a change that commits while this counts asks for another build after it."""
    wanted = _wanted()
    published = CaseStudy.objects.published()
    per_organisation = dict(
        published.order_by().values_list("organisation_id").annotate(n=Count("*")).values_list("organisation_id", "n")
    )
    regions: dict[int, int] = {}
    types: dict[str, int] = {}
    for pk, region_id, kind in Organisation.objects.filter(pk__in=list(per_organisation)).values_list(
        "pk", "region_id", "type"
    ):
        regions[region_id] = regions.get(region_id, 0) + per_organisation[pk]
        types[kind] = types.get(kind, 0) + per_organisation[pk]
    through = CaseStudy.pillars.through
    pillars = dict(
        through.objects.filter(casestudy__status=CaseStudy.Status.PUBLISHED)
        .order_by().values_list("pillar_id").annotate(n=Count("*")).values_list("pillar_id", "n")
    )
    tags = list(
        TaggedItem.objects.filter(
            content_type_id=ContentType.objects.get_for_model(CaseStudy).pk,
            object_id__in=published.values("pk"),
        )
        .order_by().values_list("tag_id").annotate(n=Count("*"))
        .order_by("-n", "tag_id").values_list("tag_id", "n")[:TOP_TAGS]
    )
    summary = {
        "total": sum(per_organisation.values()), "pillars": pillars, "regions": regions, "types": types,
        "tags": tags, "resources": resource_counts(None), "wanted": wanted, "built_at": time.time(),
    }
    cache.set(SUMMARY_KEY, summary, None)
    return summary


# Five small GROUP BYs over resources in one round trip, on either database. A resource's region
# and type are those of the organisation that made it (search.made_by_one_of): its partner
# organisation, else its own; a partner named only (not on the network) has neither.
RESOURCE_COUNTS_SQL = """
SELECT 'kinds', r.kind, count(*) FROM {resource} r WHERE {where} GROUP BY r.kind
UNION ALL
SELECT 'regions', CAST(o.region_id AS TEXT), count(*) FROM {resource} r
  JOIN anchors_organisation o ON o.id = COALESCE(r.partner_organisation_id, r.organisation_id)
 WHERE {where} AND r.partner_name = '' GROUP BY o.region_id
UNION ALL
SELECT 'types', o.type, count(*) FROM {resource} r
  JOIN anchors_organisation o ON o.id = COALESCE(r.partner_organisation_id, r.organisation_id)
 WHERE {where} AND r.partner_name = '' GROUP BY o.type
UNION ALL
SELECT 'pillars', CAST(rp.pillar_id AS TEXT), count(*) FROM {pillars} rp
  JOIN {resource} r ON r.id = rp.resource_id
 WHERE {where} GROUP BY rp.pillar_id
UNION ALL
SELECT 'tags', CAST(ti.tag_id AS TEXT), count(*) FROM taggit_taggeditem ti
  JOIN {resource} r ON r.id = ti.object_id
 WHERE ti.content_type_id = %s AND {where} GROUP BY ti.tag_id
"""


def resource_counts(ids: list[int] | None) -> dict:
    """Counts per kind, pillar, region, organisation type and tag among these resources (None:
    every published one), in one query."""
    if ids is None:
        where, params = "r.status = %s", [Resource.Status.PUBLISHED]
    elif connection.vendor == "postgresql":
        where, params = "r.id = ANY(%s)", [ids]  # one array parameter, as search._among does
    else:
        where, params = f"r.id IN ({', '.join(['%s'] * len(ids))})", list(ids)
    # Only identifiers from model metadata are formatted in; values travel as parameters.
    sql = RESOURCE_COUNTS_SQL.format(
        resource=Resource._meta.db_table, pillars=Resource.pillars.through._meta.db_table, where=where
    )
    counts = {"kinds": {}, "pillars": {}, "regions": {}, "types": {}, "tags": []}
    with connection.cursor() as cursor:
        cursor.execute(sql, params * 4 + [ContentType.objects.get_for_model(Resource).pk, *params])
        for facet, key, n in cursor.fetchall():
            if key is None:
                continue
            if facet == "tags":
                counts["tags"].append((int(key), n))
            elif facet in ("kinds", "types"):
                counts[facet][key] = n
            else:
                counts[facet][int(key)] = n
    counts["tags"].sort(key=lambda item: (-item[1], item[0]))
    counts["total"] = sum(counts["kinds"].values())
    return counts


def _queue_rebuild() -> None:
    try:
        cache.incr(SUMMARY_WANTED_KEY)
    except ValueError:
        cache.set(SUMMARY_WANTED_KEY, 1, None)
    from .tasks import rebuild_facet_summary as task

    # Broker down: pages keep the previous summary, and the next change asks again.
    safe_delay(task)


def summary_wanted() -> None:
    """After the current transaction commits, ask a worker for a new facet summary."""
    transaction.on_commit(_queue_rebuild)


def published_changed() -> None:
    """What a service calls when published content changed: pages and the summary follow
    after the commit."""
    sitecache.content_changed()
    summary_wanted()


# --- The case-study page -----------------------------------------------------------------------


def detail_queryset():
    """One case study with everything its page shows, each relation in one query."""
    return (
        CaseStudy.objects.defer("search_vector")
        # Not created_by: the page does not show it, and a cached copy must hold no account data.
        .select_related("organisation", "organisation__region")
        .prefetch_related(
            "pillars", "tags", "measures", "attachments",
            Prefetch("partners", queryset=Partner.objects.select_related("organisation")),
        )
    )


def public_case_study(slug: str) -> CaseStudy | None:
    """The published or archived case study with this slug, with its relations and related case
    studies loaded, shared by everyone for this content version; None for any other."""

    def build():
        case_study = detail_queryset().filter(slug=slug, status__in=PUBLIC_STATUSES).first()
        if case_study is not None and case_study.is_published:
            case_study.related_cached = related_to(case_study)
        return case_study or ""

    return sitecache.fragment("case-study", (slug,), build) or None


# --- Related -----------------------------------------------------------------------------------


RELATED_POOL = 300


def related_to(case_study: CaseStudy, limit: int = 3) -> list[CaseStudy]:
    """Up to `limit` published case studies sharing a pillar or a tag with this one, same region
    first, then newest, among the RELATED_POOL most recently published: one query.

    Bounded on purpose: "shares a pillar" matches most of the table, and asking for the newest
    few of all of those costs tens of milliseconds at 100,000 rows."""
    through = CaseStudy.pillars.through
    content_type = ContentType.objects.get_for_model(CaseStudy).pk
    pool = CaseStudy.objects.published().exclude(pk=case_study.pk).order_by("-published_at", "-pk").values("pk")
    shares_pillar = Exists(through.objects.filter(
        casestudy_id=OuterRef("pk"),
        pillar_id__in=through.objects.filter(casestudy_id=case_study.pk).values("pillar_id"),
    ))
    shares_tag = Exists(TaggedItem.objects.filter(
        content_type_id=content_type, object_id=OuterRef("pk"),
        tag_id__in=TaggedItem.objects.filter(content_type_id=content_type, object_id=case_study.pk).values("tag_id"),
    ))
    return list(
        CaseStudy.objects.filter(pk__in=pool[:RELATED_POOL])
        .filter(Q(shares_pillar) | Q(shares_tag))
        .annotate(same_region=CaseWhen(
            When(organisation__region_id=case_study.organisation.region_id, then=Value(1)),
            default=Value(0), output_field=IntegerField(),
        ))
        .defer("search_vector", *SECTION_FIELDS, *SECTION_HTML_FIELDS)
        .select_related("organisation")
        .order_by("-same_region", "-published_at", "-pk")[:limit]
    )
