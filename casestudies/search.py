"""Finding published case studies: filters, full-text search, facet counts and related ones.

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

import operator
import re
from dataclasses import dataclass, field
from functools import reduce

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    F,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat
from django.utils.functional import cached_property
from taggit.models import Tag, TaggedItem

from anchors.models import Organisation, Pillar

from .fields import SEARCH_CONFIG
from .models import CaseStudy

PAGE_SIZE = 20
COUNT_CAP = 1000
TOP_TAGS = 15


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


def _tags_filter(slugs: list[str]) -> Q:
    return Q(pk__in=TaggedItem.objects.filter(
        content_type_id=_case_study_content_type_id(),
        tag_id__in=list(Tag.objects.filter(slug__in=slugs).values_list("pk", flat=True)),
    ).values("object_id"))


def _pillars_filter(slugs: list[str]) -> Q:
    # Ids resolved first so the planner sees plain integers and picks a hash semi-join.
    pillar_ids = list(Pillar.objects.filter(slug__in=slugs).values_list("pk", flat=True))
    return Q(pk__in=CaseStudy.pillars.through.objects.filter(pillar_id__in=pillar_ids).values("casestudy_id"))


def _text_filter(q: str) -> tuple[Q, SearchQuery | TextMatch]:
    if is_postgres():
        query = SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
        return Q(search_vector=query), query
    match = TextMatch.from_websearch(q)
    # The index is searched in a sub-select, so every other filter still applies to the hits.
    conditions = []
    if match.wanted:
        conditions.append(Q(pk__in=RawSQL(FTS_FOUND, (match.wanted,))))  # noqa: S611 (fixed SQL)
    for unwanted in match.excluding:
        conditions.append(~Q(pk__in=RawSQL(FTS_FOUND, (unwanted,))))  # noqa: S611 (fixed SQL)
    # No words left (only stop words or punctuation): nothing matches, as on PostgreSQL.
    return reduce(operator.or_, conditions, Q(pk__in=[])), match


# --- SQLite: FTS5 --------------------------------------------------------------------------------

# casestudies_casestudy_fts is the external-content FTS5 table that migration 0004_sqlite_fts
# creates and its triggers keep in step with casestudies_casestudy (SQLite only). The words to
# match always travel as a parameter.
FTS_FOUND = "SELECT rowid FROM casestudies_casestudy_fts WHERE casestudies_casestudy_fts MATCH %s"
# bm25() weights in the index's column order (title, summary, the five sections), in the
# proportions PostgreSQL's ts_rank gives weights A, B and C (1.0, 0.4, 0.2).
FTS_SCORES = (
    "SELECT rowid, bm25(casestudies_casestudy_fts, 10.0, 4.0, 2.0, 2.0, 2.0, 2.0, 2.0) "
    "FROM casestudies_casestudy_fts WHERE casestudies_casestudy_fts MATCH %s AND rowid BETWEEN %s AND %s"
)
FTS_SNIPPET = (
    "SELECT snippet(casestudies_casestudy_fts, -1, '<mark>', '</mark>', '…', 32) "
    "FROM casestudies_casestudy_fts WHERE casestudies_casestudy_fts MATCH %s "
    "AND casestudies_casestudy_fts.rowid = casestudies_casestudy.id"
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


def filtered(filters: Filters) -> tuple[QuerySet, SearchQuery | TextMatch | None]:
    qs = CaseStudy.objects.published()
    if filters.pillars:
        qs = qs.filter(_pillars_filter(filters.pillars))
    if filters.tags:
        qs = qs.filter(_tags_filter(filters.tags))
    if filters.regions or filters.types:
        organisations = Organisation.objects.all()
        if filters.regions:
            organisations = organisations.filter(region__code__in=filters.regions)
        if filters.types:
            organisations = organisations.filter(type__in=filters.types)
        qs = qs.filter(organisation_id__in=list(organisations.values_list("pk", flat=True)))
    query = None
    if filters.q:
        condition, query = _text_filter(filters.q)
        qs = qs.filter(condition)
    return qs, query


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
    case_studies: list
    facets: dict
    filters: Filters
    capped: bool


def search(filters: Filters, page_number) -> Results:
    """One page of results with facet counts, in a fixed number of queries.

    Unfiltered: the page comes straight off the (status, published_at) index and the total and
    facet counts from the cached summary. Filtered or searched: one query fetches the ids of the
    newest COUNT_CAP + 1 matches; the count, the relevance ranking, the page and the facet
    counts all work from that bounded list, so a common word costs no more than a rare one."""
    qs, query = filtered(filters)
    newest_first = qs.order_by("-published_at", "-pk")
    if filters.is_empty:
        summary = facet_summary()
        paginator = KnownCountPaginator(newest_first.values_list("pk", flat=True), PAGE_SIZE, count=summary["total"])
        capped = False
        counts = summary
    else:
        hits = list(newest_first.values_list("pk", flat=True)[: COUNT_CAP + 1])
        capped = len(hits) > COUNT_CAP
        hits = hits[:COUNT_CAP]
        order = hits
        if filters.q and filters.sort == "relevance":
            order = list(_by_relevance(hits, query, filters.q))
        paginator = Paginator(order, PAGE_SIZE)
        counts = _count_facets(hits)
    page = paginator.get_page(page_number)
    ids = list(page.object_list)
    rows = CaseStudy.objects.filter(pk__in=ids).for_cards()
    if query is not None:
        rows = rows.annotate(snippet=_snippet(query))
    by_id = {cs.pk: cs for cs in rows}
    return Results(
        page=page,
        case_studies=[by_id[pk] for pk in ids if pk in by_id],
        facets=_label_facets(filters, counts),
        filters=filters,
        capped=capped,
    )


def _among(qs: QuerySet, column: str, ids: list[int] | QuerySet) -> QuerySet:
    """Rows whose `column` is one of `ids`. On PostgreSQL a list goes as ONE array parameter:
    a thousand separate placeholders cost more to build and parse than the query costs to run."""
    if isinstance(ids, list) and is_postgres():
        sql = f"{connection.ops.quote_name(qs.model._meta.db_table)}.{connection.ops.quote_name(column)} = ANY(%s)"
        # Identifiers come from model metadata; the ids travel as a bound parameter.
        return qs.alias(_among=RawSQL(sql, (ids,), output_field=BooleanField())).filter(_among=True)  # noqa: S611
    return qs.filter(**{f"{column}__in": ids})


def _by_relevance(hits: list[int], query: SearchQuery | TextMatch, q: str):
    """Order the bounded list of matches by relevance (title > summary > sections)."""
    if isinstance(query, TextMatch):
        return _by_bm25(hits, query)
    candidates = _among(CaseStudy.objects.all(), "id", hits)
    ranked = candidates.annotate(rank=SearchRank(F("search_vector"), query))
    return ranked.order_by("-rank", "-published_at", "-pk").values_list("pk", flat=True)


def _by_bm25(hits: list[int], match: TextMatch) -> list[int]:
    """SQLite: the hits (newest first) reordered by FTS5's bm25 score, best first; those found
    only by an alternative of -words have no score and come last, newest first.

    Scored over the span of the hits' ids, not `rowid IN (...)`: FTS5 would run the search again
    for every id in the list, a second for a common word at 100,000 rows."""
    if not match.wanted or not hits:
        return hits
    with connection.cursor() as cursor:
        cursor.execute(FTS_SCORES, (match.wanted, min(hits), max(hits)))
        scores = dict(cursor.fetchall())
    # bm25() is negative, lower is better; sorted() is stable, so equal scores stay newest first.
    return sorted(hits, key=lambda pk: scores.get(pk, 0.0))


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
 WHERE cp.casestudy_id = ANY(%(ids)s) GROUP BY cp.pillar_id
UNION ALL
SELECT 'regions', o.region_id::text, count(*) FROM casestudies_casestudy c
  JOIN anchors_organisation o ON o.id = c.organisation_id
 WHERE c.id = ANY(%(ids)s) GROUP BY o.region_id
UNION ALL
SELECT 'types', o.type, count(*) FROM casestudies_casestudy c
  JOIN anchors_organisation o ON o.id = c.organisation_id
 WHERE c.id = ANY(%(ids)s) GROUP BY o.type
UNION ALL
(SELECT 'tags', ti.tag_id::text, count(*) FROM taggit_taggeditem ti
  WHERE ti.content_type_id = %(content_type)s AND ti.object_id = ANY(%(ids)s)
  GROUP BY ti.tag_id ORDER BY count(*) DESC, ti.tag_id LIMIT %(top_tags)s)
"""


def _count_facets_in_one_query(ids: list[int]) -> dict:
    """The same counts as _count_facets in one round trip (PostgreSQL): on a search page the
    four small GROUP BYs cost less than the trips to the database."""
    counts = {"pillars": {}, "regions": {}, "types": {}, "tags": []}
    with connection.cursor() as cursor:
        cursor.execute(
            FACETS_SQL, {"ids": ids, "content_type": _case_study_content_type_id(), "top_tags": TOP_TAGS}
        )
        for facet, key, n in cursor.fetchall():
            if facet == "tags":
                counts["tags"].append((int(key), n))
            elif facet == "types":
                counts["types"][key] = n
            else:
                counts[facet][int(key)] = n
    return counts


def _case_study_content_type_id() -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(CaseStudy).pk  # cached by Django after the first call


def facet_summary() -> dict:
    """Exact counts over every published case study, rebuilt by a worker after each change
    (see caching.py): a visitor never waits for it."""
    from .caching import facet_summary as cached_summary

    return cached_summary()[0]


def _label_facets(filters: Filters, counts: dict) -> dict:
    from .caching import reference_labels

    labels = reference_labels()
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
    return {"pillar": pillars, "region": regions, "type": types, "tag": tags}
