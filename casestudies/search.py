"""Finding published case studies and resources: filters, full-text search, facet counts.

One search covers both. Each keeps its own index (case studies: the generated search column;
resources: a GIN expression index on PostgreSQL, an FTS5 table on SQLite, both made by migration
0007_resource_search); one UNION query fetches the newest matches of both, so a page that finds
no resource costs what it cost before resources existed. The "Kind" facet (case study, toolkit,
guide, template, report, event recording) decides which of the two is searched at all.

Region and organisation type describe the organisation that MADE a thing: a case study's
organisation; a resource's partner organisation when one on the network made it, else its own
organisation. A resource made by a partner named only (not on the network) has no region and no
type: it is counted in neither facet and found only while no region or type is chosen.

Costs are bounded so that pages stay fast at 100,000 case studies:
- the search vector is a stored generated column behind a GIN index (see fields.py); on SQLite
  an FTS5 index kept in step by triggers (migration 0004_sqlite_fts) reads the same query
  syntax, stems, ranks and highlights alike;
- a filtered or searched page fetches the ids of at most COUNT_CAP + 1 newest matches once;
  relevance ranking, the result count and the facet counts all work from that bounded list,
  never from every match of a common word;
- the unfiltered list takes its total and facet counts from a cached summary, refreshed when
  something is published or archived.
"""

from __future__ import annotations

import json
import operator
import re
from dataclasses import dataclass, field
from functools import reduce

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    Count,
    F,
    FloatField,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from taggit.models import Tag, TaggedItem

from anchors.models import Organisation, Pillar
from evidence.models import in_welsh

from .fields import SEARCH_CONFIG
from .models import CaseStudy, Resource

PAGE_SIZE = 20
COUNT_CAP = 1000
TOP_TAGS = 15

# The "Kind" facet's values: case studies, then each kind of resource.
CASE_STUDY = "case_study"
KIND_LABELS = ((CASE_STUDY, _("Case study")), *Resource.Kind.choices)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def forget_summaries() -> None:
    """For loaders that write rows directly (the demo seeder): drop the facet summary and
    retire cached pages. Services use caching.published_changed instead."""
    from sitecache import bump_content_version

    from .caching import SUMMARY_KEY as CURRENT_SUMMARY_KEY

    cache.delete(CURRENT_SUMMARY_KEY)
    bump_content_version()


@dataclass
class Filters:
    q: str = ""
    pillars: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
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
            # An unknown kind is ignored, as other unknown filter values are.
            kinds=[kind for kind in params.getlist("kind") if kind in dict(KIND_LABELS)][:10],
            sort=sort,
            sort_chosen="newest" if params.get("sort") == "newest" else "relevance",
        )

    @property
    def is_empty(self) -> bool:
        return not (self.q or self.pillars or self.regions or self.types or self.tags or self.kinds)

    @property
    def wants_case_studies(self) -> bool:
        return not self.kinds or CASE_STUDY in self.kinds

    @property
    def resource_kinds(self) -> list[str] | None:
        """The kinds of resource asked for: None for every kind, [] for none."""
        if not self.kinds:
            return None
        return [kind for kind in self.kinds if kind in Resource.Kind.values]


@dataclass
class Chosen:
    """The filters' pillars, tags and organisations as ids, looked up once for both searches."""

    pillar_ids: list[int] | None = None
    tag_ids: list[int] | None = None
    organisation_ids: list[int] | None = None

    @classmethod
    def from_filters(cls, filters: Filters, labels: dict | None = None) -> Chosen:
        """`labels` (caching.reference_labels), when the caller has them for the facets anyway,
        name the chosen pillars' and tags' ids with no query of their own: they are cached per
        content version, which a change of a pillar or a tag moves on."""
        chosen = cls()
        # Ids resolved first so the planner sees plain integers and picks a hash semi-join.
        if filters.pillars:
            if labels is not None:
                chosen.pillar_ids = [pk for pk, slug, _name in labels["pillars"] if slug in filters.pillars]
            else:
                chosen.pillar_ids = list(Pillar.objects.filter(slug__in=filters.pillars).values_list("pk", flat=True))
        if filters.tags:
            if labels is not None:
                chosen.tag_ids = [pk for pk, (slug, _name) in labels["tags"].items() if slug in filters.tags]
            else:
                chosen.tag_ids = list(Tag.objects.filter(slug__in=filters.tags).values_list("pk", flat=True))
        if filters.regions or filters.types:
            organisations = Organisation.objects.all()
            if filters.regions:
                organisations = organisations.filter(region__code__in=filters.regions)
            if filters.types:
                organisations = organisations.filter(type__in=filters.types)
            chosen.organisation_ids = list(organisations.values_list("pk", flat=True))
        return chosen


def _tagged(model, tag_ids: list[int]) -> Q:
    return Q(pk__in=TaggedItem.objects.filter(
        content_type_id=_content_type_id(model), tag_id__in=tag_ids,
    ).values("object_id"))


def _in_pillars(model, pillar_ids: list[int]) -> Q:
    through = model.pillars.through
    column = model.pillars.field.m2m_field_name() + "_id"
    return Q(pk__in=through.objects.filter(pillar_id__in=pillar_ids).values(column))


def _text_filter(q: str, model=CaseStudy) -> tuple[Q, SearchQuery | TextMatch]:
    if is_postgres():
        query = SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
        if model is Resource:
            found = RawSQL(f"({RESOURCE_DOCUMENT}) @@ websearch_to_tsquery(%s::regconfig, %s)",  # noqa: S611
                           (SEARCH_CONFIG, q), output_field=BooleanField())
            return Q(found), query
        return Q(search_vector=query), query
    match = TextMatch.from_websearch(q)
    found = FTS_FOUND.format(table=FTS_TABLES[model])
    # The index is searched in a sub-select, so every other filter still applies to the hits.
    conditions = []
    if match.wanted:
        conditions.append(Q(pk__in=RawSQL(found, (match.wanted,))))  # noqa: S611 (fixed SQL)
    for unwanted in match.excluding:
        conditions.append(~Q(pk__in=RawSQL(found, (unwanted,))))  # noqa: S611 (fixed SQL)
    # No words left (only stop words or punctuation): nothing matches, as on PostgreSQL.
    return reduce(operator.or_, conditions, Q(pk__in=[])), match


# --- PostgreSQL: the resources' search document ------------------------------------------------

# Resources have no stored search column: migration 0007_resource_search puts a GIN index on this
# expression, and every query repeats it exactly so that the planner uses the index. Title is
# weighted A and summary B, as for case studies, so ranks of both compare.
RESOURCE_DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, coalesce(casestudies_resource.title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(casestudies_resource.summary, '')), 'B')"
)
RESOURCE_RANK = f"ts_rank({RESOURCE_DOCUMENT}, websearch_to_tsquery(%s::regconfig, %s))"
RESOURCE_HEADLINE = (
    "ts_headline(%s::regconfig, casestudies_resource.summary, websearch_to_tsquery(%s::regconfig, %s), "
    "'StartSel=<mark>, StopSel=</mark>, MaxWords=35, MinWords=15')"
)


# --- SQLite: FTS5 --------------------------------------------------------------------------------

# casestudies_casestudy_fts is the external-content FTS5 table that migration 0004_sqlite_fts
# creates and its triggers keep in step with casestudies_casestudy (SQLite only). The words to
# match always travel as a parameter.
FTS_FOUND = "SELECT rowid FROM {table} WHERE {table} MATCH %s"
# casestudies_resource_fts (migration 0007_resource_search) indexes resources' title and summary
# the same way.
FTS_TABLES = {CaseStudy: "casestudies_casestudy_fts", Resource: "casestudies_resource_fts"}
# bm25() weights in the index's column order (title, summary, the five sections), in the
# proportions PostgreSQL's ts_rank gives weights A, B and C (1.0, 0.4, 0.2).
FTS_SCORES = (
    "SELECT rowid, bm25(casestudies_casestudy_fts, 10.0, 4.0, 2.0, 2.0, 2.0, 2.0, 2.0) "
    "FROM casestudies_casestudy_fts WHERE casestudies_casestudy_fts MATCH %s AND rowid BETWEEN %s AND %s"
)
RESOURCE_FTS_SCORES = (
    "SELECT rowid, bm25(casestudies_resource_fts, 10.0, 4.0) "
    "FROM casestudies_resource_fts WHERE casestudies_resource_fts MATCH %s AND rowid BETWEEN %s AND %s"
)
FTS_SNIPPET = (
    "SELECT snippet(casestudies_casestudy_fts, -1, '<mark>', '</mark>', '…', 32) "
    "FROM casestudies_casestudy_fts WHERE casestudies_casestudy_fts MATCH %s "
    "AND casestudies_casestudy_fts.rowid = casestudies_casestudy.id"
)
RESOURCE_FTS_SNIPPET = (
    "SELECT snippet(casestudies_resource_fts, -1, '<mark>', '</mark>', '…', 32) "
    "FROM casestudies_resource_fts WHERE casestudies_resource_fts MATCH %s "
    "AND casestudies_resource_fts.rowid = casestudies_resource.id"
)
# Snippets come from the columns the PostgreSQL headline reads.
FTS_SNIPPET_COLUMNS = "{summary context approach outcomes}"
# PostgreSQL's English stop words: websearch_to_tsquery drops them outside quotes, so do we.
STOP_WORDS = frozenset({
    "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours",
    "yourself", "yourselves", "he", "him", "his", "himself", "she", "her", "hers", "herself",
    "it", "its", "itself", "they", "them", "their", "theirs", "themselves", "what", "which",
    "who", "whom", "this", "that", "these", "those", "am", "is", "are", "was", "were", "be",
    "been", "being", "have", "has", "had", "having", "do", "does", "did", "doing", "a", "an",
    "the", "and", "but", "if", "or", "because", "as", "until", "while", "of", "at", "by",
    "for", "with", "about", "against", "between", "into", "through", "during", "before",
    "after", "above", "below", "to", "from", "up", "down", "in", "out", "on", "off", "over",
    "under", "again", "further", "then", "once", "here", "there", "when", "where", "why",
    "how", "all", "any", "both", "each", "few", "more", "most", "other", "some", "such", "no",
    "nor", "not", "only", "own", "same", "so", "than", "too", "very", "s", "t", "can", "will",
    "just", "don", "should", "now",
})
# A word, a "quoted phrase" (its closing quote optional, as PostgreSQL allows), each maybe after
# a minus sign.
QUERY_PART = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')
WORD_BREAK = re.compile(r"[^\w'’.@/-]+")


@dataclass(frozen=True)
class TextMatch:
    """The websearch syntax PostgreSQL reads (words all required, "a phrase", -word to exclude,
    `or` between alternatives), written as FTS5 MATCH expressions.

    Every word and phrase goes inside double quotes, where FTS5 sees only text to tokenise, so
    nothing a person types (`*`, `^`, `:`, `NEAR(`, `AND`, brackets) is ever read as FTS5 syntax."""

    wanted: str = ""  # the alternatives that name something to find, or "" when none does
    excluding: tuple[str, ...] = ()  # one per alternative made only of -words: what it rules out
    phrases: tuple[str, ...] = ()  # every word and phrase to find, for snippets

    @classmethod
    def from_websearch(cls, q: str) -> TextMatch:
        wanted, excluding, phrases = [], [], []
        for alternative in _alternatives(q):
            found = [phrase for negated, phrase in alternative if not negated]
            unwanted = [phrase for negated, phrase in alternative if negated]
            phrases += found
            if found:
                expression = " AND ".join(found)
                if unwanted:
                    expression = f"({expression}) NOT ({' OR '.join(unwanted)})"
                wanted.append(f"({expression})")
            else:
                excluding.append(" OR ".join(unwanted))
        return cls(wanted=" OR ".join(wanted), excluding=tuple(excluding), phrases=tuple(phrases))


def _alternatives(q: str) -> list[list[tuple[bool, str]]]:
    """The query's alternatives (split at `or`), each a list of (negated, quoted FTS5 phrase)."""
    alternatives = [[]]
    for quoted_minus, quoted, minus, word in QUERY_PART.findall(q):
        if not word:
            terms = [(bool(quoted_minus), quoted)]
        elif word.lower() == "or" and not minus:
            alternatives.append([])
            continue
        else:
            # As PostgreSQL's parser reads `title:laundry` or `NEAR(misses`: two words, the minus
            # applying to the first; `x-y`, `o'neill` and `nhs.uk` stay one, a phrase for FTS5.
            pieces = [piece for piece in WORD_BREAK.split(word) if piece]
            terms = [(bool(minus) and i == 0, piece) for i, piece in enumerate(pieces)]
        for negated, text in terms:
            tokens = re.findall(r"[^\W_]+", text.lower())
            if not tokens or all(token in STOP_WORDS for token in tokens):
                # PostgreSQL drops these; FTS5 would match nothing for a phrase with no tokens.
                continue
            alternatives[-1].append((negated, '"' + text.replace('"', '""') + '"'))
    return [alternative for alternative in alternatives if alternative]


def filtered(filters: Filters, chosen: Chosen | None = None) -> tuple[QuerySet, SearchQuery | TextMatch | None]:
    """Published case studies matching the filters (the kind aside), and the text query."""
    chosen = chosen or Chosen.from_filters(filters)
    qs = CaseStudy.objects.published()
    if chosen.pillar_ids is not None:
        qs = qs.filter(_in_pillars(CaseStudy, chosen.pillar_ids))
    if chosen.tag_ids is not None:
        qs = qs.filter(_tagged(CaseStudy, chosen.tag_ids))
    if chosen.organisation_ids is not None:
        qs = qs.filter(organisation_id__in=chosen.organisation_ids)
    query = None
    if filters.q:
        condition, query = _text_filter(filters.q)
        qs = qs.filter(condition)
    return qs, query


def made_by_one_of(organisation_ids: list[int]) -> Q:
    """Resources made by one of these organisations: the partner organisation that made it, or
    its own organisation when no partner is named. A partner named only matches none."""
    return Q(partner_name="") & (
        Q(partner_organisation_id__in=organisation_ids)
        | Q(partner_organisation__isnull=True, organisation_id__in=organisation_ids)
    )


def filtered_resources(filters: Filters, chosen: Chosen | None = None) -> QuerySet:
    """Published resources matching the filters, of the kinds asked for."""
    chosen = chosen or Chosen.from_filters(filters)
    qs = Resource.objects.published()
    if filters.resource_kinds is not None:
        qs = qs.filter(kind__in=filters.resource_kinds)
    if chosen.pillar_ids is not None:
        qs = qs.filter(_in_pillars(Resource, chosen.pillar_ids))
    if chosen.tag_ids is not None:
        qs = qs.filter(_tagged(Resource, chosen.tag_ids))
    if chosen.organisation_ids is not None:
        qs = qs.filter(made_by_one_of(chosen.organisation_ids))
    if filters.q:
        condition, _query = _text_filter(filters.q, Resource)
        qs = qs.filter(condition)
    return qs


class KnownCountPaginator(Paginator):
    """A paginator told its count (from the cached summary) instead of running COUNT(*)."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


@dataclass
class Results:
    page: object
    items: list  # case studies and resources in order, each with .result_kind and .kind_label
    facets: dict
    filters: Filters
    capped: bool
    total_by_kind: dict = field(default_factory=dict)

    @property
    def case_studies(self) -> list:
        return [item for item in self.items if item.result_kind == CASE_STUDY]

    @property
    def resources(self) -> list:
        return [item for item in self.items if item.result_kind != CASE_STUDY]

    @property
    def only_case_studies(self) -> bool:
        """Whether the count may say "case studies": no resource found, and none asked for."""
        if self.filters.resource_kinds:
            return False
        return not any(n for kind, n in self.total_by_kind.items() if kind != CASE_STUDY)


class NewestOfBoth:
    """(kind, id, newest_at) of the matches of each sort asked for, newest first; sliced in
    ONE query, a UNION of the two tables.

    On PostgreSQL each branch is ordered and limited on its own, (SELECT … ORDER BY … LIMIT n)
    UNION ALL (…), so each reads no more than n rows off its own (status, published_at) index,
    as the case studies alone did; only the union of those is sorted. (PostgreSQL does not merge
    ordered branches of a plain UNION ALL: it would sort every published row.) SQLite cannot
    limit a branch of a compound query, and sorts the union."""

    def __init__(self, parts: list[QuerySet]):
        self.parts = [part.order_by("-published_at", "-id") for part in parts]
        self.ordered = True

    def __getitem__(self, page: slice) -> list[tuple]:
        start, stop = page.start or 0, page.stop
        if not self.parts or stop <= start:
            return []
        if len(self.parts) == 1:
            return list(self.parts[0][start:stop])
        parts = [part[:stop] for part in self.parts] if is_postgres() else [part.order_by() for part in self.parts]
        union = parts[0].union(*parts[1:], all=True).order_by("-newest_at", "-id")
        return list(union[start:stop])


def _newest_at(model):
    """What the UNION orders its branches' rows by: published_at, on PostgreSQL as microseconds
    since the epoch. The order is the same, and a thousand integers load in a fraction of the
    time a thousand timestamps with time zone take (about 0.7 ms against 4 ms here). Each branch
    still orders by the column itself, off its index."""
    if not is_postgres():
        return F("published_at")
    column = f"{connection.ops.quote_name(model._meta.db_table)}.{connection.ops.quote_name('published_at')}"
    # Identifiers from model metadata only.
    return RawSQL(f"(EXTRACT(EPOCH FROM {column}) * 1000000)::bigint", (), output_field=BigIntegerField())  # noqa: S611


def _newest(filters: Filters, chosen: Chosen) -> tuple[NewestOfBoth, SearchQuery | TextMatch | None]:
    """The matches of both sorts, newest first (see NewestOfBoth), and the case studies' text
    query. Only the sorts the Kind filter asks for are read at all.

    Ranked by relevance on PostgreSQL, each row also carries its rank, computed in the same query
    for the rows it returns anyway (no second trip to fetch the matches' vectors by id)."""
    parts, query = [], None
    columns = ("result_kind", "id", "newest_at")
    ranked = bool(filters.q) and filters.sort == "relevance" and is_postgres()
    if ranked:
        columns += ("rank",)
    if filters.wants_case_studies:
        case_studies, query = filtered(filters, chosen)
        case_studies = case_studies.annotate(
            result_kind=Value(CASE_STUDY, output_field=CharField()), newest_at=_newest_at(CaseStudy)
        )
        if ranked:
            case_studies = case_studies.annotate(rank=SearchRank(F("search_vector"), query))
        parts.append(case_studies.values_list(*columns))
    if filters.resource_kinds != []:
        resources = filtered_resources(filters, chosen).annotate(result_kind=F("kind"), newest_at=_newest_at(Resource))
        if ranked:
            rank = RawSQL(RESOURCE_RANK, (SEARCH_CONFIG, filters.q), output_field=FloatField())  # noqa: S611
            resources = resources.annotate(rank=rank)
        parts.append(resources.values_list(*columns))
    return NewestOfBoth(parts), query


def search(filters: Filters, page_number) -> Results:
    """One page of results with facet counts, in a fixed number of queries.

    Unfiltered: the page comes straight off the (status, published_at) indexes and the total and
    facet counts from the cached summary. Filtered or searched: one query fetches the newest
    COUNT_CAP + 1 matches of both sorts (with their ranks, on PostgreSQL); the count, the
    relevance order, the page and the facet counts all work from that bounded list, so a common
    word costs no more than a rare one."""
    from .caching import reference_labels

    labels = reference_labels()  # once: the facets' names, and the chosen pillars' and tags' ids
    chosen = Chosen.from_filters(filters, labels)
    newest, query = _newest(filters, chosen)
    if filters.is_empty:
        summary = combined_summary()
        paginator = KnownCountPaginator(newest, PAGE_SIZE, count=summary["total"])
        capped = False
        counts = summary
    else:
        rows = newest[: COUNT_CAP + 1]
        capped = len(rows) > COUNT_CAP
        rows = rows[:COUNT_CAP]
        hits = [(row[0], row[1]) for row in rows]
        case_study_ids = [pk for kind, pk in hits if kind == CASE_STUDY]
        resource_ids = [pk for kind, pk in hits if kind != CASE_STUDY]
        order = hits
        if filters.q and filters.sort == "relevance":
            if rows and len(rows[0]) == 4:  # ranked by the query itself (PostgreSQL)
                ranks = {(row[0], row[1]): row[3] or 0.0 for row in rows}
            else:
                scores = {
                    CASE_STUDY: _scores(case_study_ids, query) if case_study_ids else {},
                    "resource": _resource_scores(resource_ids, filters.q) if resource_ids else {},
                }
                ranks = {hit: scores[CASE_STUDY if hit[0] == CASE_STUDY else "resource"].get(hit[1], 0.0)
                         for hit in hits}
            # sorted() is stable: equal scores stay newest first.
            order = sorted(hits, key=lambda hit: -ranks[hit])
        paginator = Paginator(order, PAGE_SIZE)
        counts = _facets_among(case_study_ids, resource_ids)
        counts["kinds"] = {}
        for kind, _pk in hits:
            counts["kinds"][kind] = counts["kinds"].get(kind, 0) + 1
    page = paginator.get_page(page_number)
    on_page = [(row[0], row[1]) for row in page.object_list]
    items = _cards(on_page, filters.q, query)
    return Results(
        page=page,
        items=items,
        facets=_label_facets(filters, counts, labels),
        filters=filters,
        capped=capped,
        total_by_kind=counts["kinds"],
    )


def _cards(on_page: list[tuple[str, int]], q: str, query) -> list:
    """The page's case studies and resources, in the page's order, each labelled with its kind:
    one query for each sort shown, its pillars' names included; none for a sort not on the page."""
    labels = dict(KIND_LABELS)
    case_study_ids = [pk for kind, pk in on_page if kind == CASE_STUDY]
    resource_ids = [pk for kind, pk in on_page if kind != CASE_STUDY]
    found = {}
    if case_study_ids:
        rows = _with_pillar_names(CaseStudy.objects.filter(pk__in=case_study_ids).for_cards().prefetch_related(None))
        if query is not None:
            rows = rows.annotate(snippet=_snippet(query))
        found |= {(CASE_STUDY, row.pk): row for row in rows}
    if resource_ids:
        rows = _with_pillar_names(Resource.objects.filter(pk__in=resource_ids).for_cards().prefetch_related(None))
        if q:
            rows = rows.annotate(snippet=_resource_snippet(q, query))
        found |= {(row.kind, row.pk): row for row in rows}
    items = []
    for key in on_page:
        if key in found:
            item = found[key]
            item.result_kind = key[0]
            item.kind_label = labels.get(key[0], key[0])
            item.pillar_names = _names(item.pillar_names)
            items.append(item)
    return items


# The names of a card's pillars in their order (Pillar.Meta.ordering), read in the card's own
# query: a sub-select per row of a page of 20 costs less than a second round trip to prefetch.
# Each name as Pillar.label gives it: on a Welsh page the Welsh name where there is one (the
# results fragment that holds the cards is kept per language).
PILLAR_NAMES = {
    "postgresql": (
        "ARRAY(SELECT {name} FROM {through} t JOIN anchors_pillar p ON p.id = t.pillar_id "
        "WHERE t.{column} = {table}.id ORDER BY p.position, p.name)"
    ),
    "sqlite": (
        "(SELECT json_group_array(name) FROM (SELECT {name} AS name FROM {through} t JOIN anchors_pillar p "
        "ON p.id = t.pillar_id WHERE t.{column} = {table}.id ORDER BY p.position, p.name))"
    ),
}
PILLAR_NAME = {"en": "p.name", "cy": "COALESCE(NULLIF(p.name_cy, ''), p.name)"}


def _with_pillar_names(qs: QuerySet) -> QuerySet:
    model = qs.model
    sql = PILLAR_NAMES["postgresql" if is_postgres() else "sqlite"].format(
        through=model.pillars.through._meta.db_table,
        column=model.pillars.field.m2m_field_name() + "_id",
        table=model._meta.db_table,
        name=PILLAR_NAME["cy" if in_welsh() else "en"],
    )
    names = ArrayField(CharField()) if is_postgres() else TextField()
    # Only identifiers from model metadata (and the constant name expression) are formatted in.
    return qs.annotate(pillar_names=RawSQL(sql, (), output_field=names))  # noqa: S611


def _names(value) -> list[str]:
    """PostgreSQL gives a list; SQLite a JSON array."""
    return json.loads(value) if isinstance(value, str) else list(value or [])


def _among(qs: QuerySet, column: str, ids: list[int] | QuerySet) -> QuerySet:
    """Rows whose `column` is one of `ids`. On PostgreSQL a list goes as ONE array parameter:
    a thousand separate placeholders cost more to build and parse than the query costs to run."""
    if isinstance(ids, list) and is_postgres():
        sql = f"{connection.ops.quote_name(qs.model._meta.db_table)}.{connection.ops.quote_name(column)} = ANY(%s)"
        # Identifiers come from model metadata; the ids travel as a bound parameter.
        return qs.alias(_among=RawSQL(sql, (ids,), output_field=BooleanField())).filter(_among=True)  # noqa: S611
    return qs.filter(**{f"{column}__in": ids})


def _scores(hits: list[int], query: SearchQuery | TextMatch) -> dict[int, float]:
    """Relevance of each case study among the matches (title > summary > sections), higher is
    better."""
    if isinstance(query, TextMatch):
        return _bm25(hits, query, FTS_SCORES)
    candidates = _among(CaseStudy.objects.all(), "id", hits)
    return dict(candidates.annotate(rank=SearchRank(F("search_vector"), query)).values_list("pk", "rank"))


def _resource_scores(hits: list[int], q: str) -> dict[int, float]:
    """Relevance of each resource among the matches (title > summary), on the same scale as
    case studies' (the same weights; on SQLite each index's own bm25 statistics)."""
    if not is_postgres():
        return _bm25(hits, TextMatch.from_websearch(q), RESOURCE_FTS_SCORES)
    rank = RawSQL(RESOURCE_RANK, (SEARCH_CONFIG, q), output_field=FloatField())  # noqa: S611 (fixed SQL)
    return dict(_among(Resource.objects.all(), "id", hits).annotate(rank=rank).values_list("pk", "rank"))


def _bm25(hits: list[int], match: TextMatch, sql: str) -> dict[int, float]:
    """SQLite: FTS5's bm25 score of each hit, turned so that higher is better; those found only
    by an alternative of -words have no score (0, after every scored one).

    Scored over the span of the hits' ids, not `rowid IN (...)`: FTS5 would run the search again
    for every id in the list, a second for a common word at 100,000 rows."""
    if not match.wanted or not hits:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(sql, (match.wanted, min(hits), max(hits)))
        # bm25() is negative, lower is better.
        return {pk: -score for pk, score in cursor.fetchall()}


def _snippet(query: SearchQuery | TextMatch):
    """A passage of the summary and sections with the words found between <mark> tags (the
    `snippet` template filter escapes everything else)."""
    if isinstance(query, SearchQuery):
        return SearchHeadline(
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
    if not query.phrases:
        return Value("", output_field=TextField())
    # Any word found, only in these columns, so that snippet() picks the best of them; a case
    # study found by its title alone has no snippet and its card shows the summary.
    words = f"{FTS_SNIPPET_COLUMNS} : ({' OR '.join(query.phrases)})"
    return RawSQL(FTS_SNIPPET, (words,), output_field=TextField())  # noqa: S611 (fixed SQL)


def _resource_snippet(q: str, query):
    """The resource's summary with the words found between <mark> tags."""
    if is_postgres():
        return RawSQL(RESOURCE_HEADLINE, (SEARCH_CONFIG, SEARCH_CONFIG, q), output_field=TextField())  # noqa: S611
    match = query if isinstance(query, TextMatch) else TextMatch.from_websearch(q)
    if not match.phrases:
        return Value("", output_field=TextField())
    words = f"{{summary}} : ({' OR '.join(match.phrases)})"
    return RawSQL(RESOURCE_FTS_SNIPPET, (words,), output_field=TextField())  # noqa: S611 (fixed SQL)


# --- Facets ------------------------------------------------------------------------------------


def _count_facets(ids) -> dict:
    """Counts per pillar, region, organisation type and tag among these case studies."""
    if isinstance(ids, list) and is_postgres():
        return _count_facets_in_one_query(ids)
    pillars = dict(
        _among(CaseStudy.pillars.through.objects.all(), "casestudy_id", ids)
        .values_list("pillar_id")
        .annotate(n=Count("*"))
        .values_list("pillar_id", "n")
    )
    regions = dict(
        _among(CaseStudy.objects.all(), "id", ids)
        .values_list("organisation__region_id")
        .annotate(n=Count("*"))
        .values_list("organisation__region_id", "n")
    )
    types = dict(
        _among(CaseStudy.objects.all(), "id", ids)
        .values_list("organisation__type")
        .annotate(n=Count("*"))
        .values_list("organisation__type", "n")
    )
    tags = list(
        _among(TaggedItem.objects.filter(content_type_id=_case_study_content_type_id()), "object_id", ids)
        .values_list("tag_id")
        .annotate(n=Count("*"))
        .order_by("-n", "tag_id")
        .values_list("tag_id", "n")[:TOP_TAGS]
    )
    return {"pillars": pillars, "regions": regions, "types": types, "tags": tags}


FACETS_SQL = """
SELECT 'pillars', cp.pillar_id::text, count(*) FROM casestudies_casestudy_pillars cp
 WHERE cp.casestudy_id = ANY(%s) GROUP BY cp.pillar_id
UNION ALL
SELECT 'regions', o.region_id::text, count(*) FROM casestudies_casestudy c
  JOIN anchors_organisation o ON o.id = c.organisation_id
 WHERE c.id = ANY(%s) GROUP BY o.region_id
UNION ALL
SELECT 'types', o.type, count(*) FROM casestudies_casestudy c
  JOIN anchors_organisation o ON o.id = c.organisation_id
 WHERE c.id = ANY(%s) GROUP BY o.type
UNION ALL
(SELECT 'tags', ti.tag_id::text, count(*) FROM taggit_taggeditem ti
  WHERE ti.content_type_id = %s AND ti.object_id = ANY(%s)
  GROUP BY ti.tag_id ORDER BY count(*) DESC, ti.tag_id LIMIT %s)
"""


def _facets_among(case_study_ids: list[int], resource_ids: list[int]) -> dict:
    """Facet counts among the matches, each sort counted only when some of it matched (nothing
    to count, no query); on PostgreSQL both sorts in one round trip."""
    if is_postgres() and case_study_ids:
        return _count_facets_in_one_query(case_study_ids, resource_ids)
    counts = _empty_counts()
    if case_study_ids:
        counts = _count_facets(case_study_ids)
    if resource_ids:
        counts = _add_counts(counts, resource_counts(resource_ids))
    return counts


def _count_facets_in_one_query(ids: list[int], resource_ids: list[int] | None = None) -> dict:
    """The same counts as _count_facets in one round trip (PostgreSQL): on a search page the
    four small GROUP BYs cost less than the trips to the database. With resource_ids, the
    resources' counts (caching.RESOURCE_COUNTS_SQL) come in the same statement and are added up
    as _add_counts does."""
    sql, params = FACETS_SQL, [ids, ids, ids, _case_study_content_type_id(), ids, TOP_TAGS]
    if resource_ids:
        from .caching import RESOURCE_COUNTS_SQL

        # Only identifiers from model metadata are formatted in; values travel as parameters.
        sql += "UNION ALL" + RESOURCE_COUNTS_SQL.format(
            resource=Resource._meta.db_table, pillars=Resource.pillars.through._meta.db_table, where="r.id = ANY(%s)"
        )
        params += [resource_ids] * 4 + [_content_type_id(Resource), resource_ids]
    counts = {"pillars": {}, "regions": {}, "types": {}}
    tags: dict[int, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for facet, key, n in cursor.fetchall():
            if key is None or facet == "kinds":  # kinds are counted from the hits themselves
                continue
            if facet == "tags":
                tags[int(key)] = tags.get(int(key), 0) + n
            elif facet == "types":
                counts["types"][key] = counts["types"].get(key, 0) + n
            else:
                counts[facet][int(key)] = counts[facet].get(int(key), 0) + n
    counts["tags"] = sorted(tags.items(), key=lambda item: (-item[1], item[0]))[:TOP_TAGS]
    return counts


def _content_type_id(model) -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(model).pk  # cached by Django after the first call


def _case_study_content_type_id() -> int:
    return _content_type_id(CaseStudy)


def resource_counts(ids: list[int]) -> dict:
    """Counts per kind, pillar, region, organisation type and tag among these resources."""
    from .caching import resource_counts as count

    return count(ids)


def _empty_counts() -> dict:
    return {"pillars": {}, "regions": {}, "types": {}, "tags": [], "kinds": {}}


def _add_counts(first: dict, second: dict) -> dict:
    """Two sets of facet counts added up (the tags: the TOP_TAGS most used of both)."""
    added = {}
    for facet in ("pillars", "regions", "types"):
        added[facet] = dict(first[facet])
        for key, n in second[facet].items():
            added[facet][key] = added[facet].get(key, 0) + n
    tags = dict(first["tags"])
    for pk, n in second["tags"]:
        tags[pk] = tags.get(pk, 0) + n
    added["tags"] = sorted(tags.items(), key=lambda item: (-item[1], item[0]))[:TOP_TAGS]
    return added


def facet_summary() -> dict:
    """Exact counts over every published case study, rebuilt by a worker after each change
    (see caching.py): a visitor never waits for it."""
    from .caching import facet_summary as cached_summary

    return cached_summary()[0]


def combined_summary() -> dict:
    """The facet summary of case studies and resources together, with counts per kind."""
    summary = facet_summary()
    resources = summary["resources"]
    counts = _add_counts(summary, resources)
    counts["kinds"] = {CASE_STUDY: summary["total"], **resources["kinds"]}
    counts["total"] = summary["total"] + resources["total"]
    return counts


def _label_facets(filters: Filters, counts: dict, labels: dict) -> dict:
    pillars = [
        {"value": slug, "label": name, "count": counts["pillars"].get(pk, 0), "selected": slug in filters.pillars}
        for pk, slug, name in labels["pillars"]
    ]
    regions = [
        {"value": code, "label": name, "count": counts["regions"].get(pk, 0), "selected": code in filters.regions}
        for pk, code, name in labels["regions"]
    ]
    types = [
        {"value": value, "label": label, "count": counts["types"].get(value, 0),
         "selected": value in filters.types}
        for value, label in labels["types"]
        if counts["types"].get(value) or value in filters.types
    ]
    tag_counts = dict(counts["tags"])
    shown = {pk: labels["tags"][pk] for pk in tag_counts if pk in labels["tags"]}
    shown |= {pk: (slug, name) for pk, (slug, name) in labels["tags"].items() if slug in filters.tags}
    tags = [
        {"value": slug, "label": name, "count": tag_counts.get(pk, 0), "selected": slug in filters.tags}
        for pk, (slug, name) in sorted(shown.items(), key=lambda item: (-tag_counts.get(item[0], 0), item[1][1]))
    ]
    kinds = [
        {"value": value, "label": label, "count": counts["kinds"].get(value, 0), "selected": value in filters.kinds}
        for value, label in KIND_LABELS
    ]
    return {"kind": kinds, "pillar": pillars, "region": regions, "type": types, "tag": tags}
