"""The tables behind the insight page. Each is worked out by the database in a fixed number of
queries (GROUP BY and conditional counts), whatever the number of rows behind it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Q, Window
from django.db.models.functions import Coalesce, Lag, TruncMonth
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _

from anchors.models import Membership, Organisation, Pillar, Region, is_coordinator, lead_region_ids
from casestudies.models import Transition
from casestudies.search import facet_summary
from evidence.models import AnnualFigure, Commitment, StandardMeasure
from network.models import Delivery, Digest, DigestPreference

from .charts import Chart, bar_chart, format_number, line_chart

MONTHS = 12
DIGESTS = 12
DAY = 86400.0


@dataclass
class Table:
    key: str
    title: str
    summary: str
    columns: list[str]
    rows: list[list]
    chart: Chart | None = None
    private: bool = False
    built_at: dt.datetime | None = None

    @property
    def display_rows(self) -> list[list[str]]:
        return [[format_number(c) if isinstance(c, int | float) else c for c in row] for row in self.rows]

    @property
    def cells(self) -> list[list[tuple[str, str]]]:
        """Each row as (column heading, shown value) pairs, for the responsive table."""
        return [list(zip(self.columns, row, strict=True)) for row in self.display_rows]


def can_see_moderation(user) -> bool:
    """Moderation and delivery detail is for the people who moderate and send: regional leads
    and coordinators. Everyone else sees the public tables."""
    return is_coordinator(user) or bool(lead_region_ids(user))


def month_starts(count: int = MONTHS, *, today: dt.date | None = None) -> list[dt.date]:
    """The first day of each of the last `count` months, oldest first, this month last."""
    today = today or timezone.localdate()
    year, month = today.year, today.month
    starts = []
    for _month in range(count):
        starts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _aware(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(settings.TIME_ZONE))


def _month_label(day: dt.date) -> str:
    """"Nov 2026" (in Welsh on a Welsh page: "Tach 2026")."""
    return date_format(day, "M Y")


# --- Case studies ------------------------------------------------------------------------------


def case_studies_by_pillar() -> Table:
    counts = facet_summary()["pillars"]  # cached counts over every published case study
    rows = [[p.label, counts.get(p.pk, 0)] for p in Pillar.objects.all()]
    total = facet_summary()["total"]
    top = max(rows, key=lambda r: r[1], default=None)
    summary = ngettext(
        "%(count)s case study is published. A case study can belong to more than one pillar.",
        "%(count)s case studies are published. A case study can belong to more than one pillar.",
        total,
    ) % {"count": format_number(total)}
    if top and top[1]:
        summary += " " + _("%(name)s has the most, with %(count)s.") % {"name": top[0], "count": format_number(top[1])}
    title = _("Published case studies by pillar")
    return Table(
        key="case-studies-by-pillar", title=title, summary=summary,
        columns=[_("Pillar"), _("Published case studies")], rows=rows,
        chart=bar_chart(id="chart-pillar", title=title,
                        description=summary, items=[(r[0], r[1]) for r in rows],
                        axis_label=_("Published case studies")),
    )


def case_studies_by_region() -> Table:
    counts = facet_summary()["regions"]
    rows = [[r.label, counts.get(r.pk, 0)] for r in Region.objects.all()]
    top = max(rows, key=lambda r: r[1], default=None)
    summary = _("Published case studies by the region of the organisation that wrote them.")
    if top and top[1]:
        summary += " " + _("%(name)s has the most, with %(count)s.") % {"name": top[0], "count": format_number(top[1])}
    title = _("Published case studies by region")
    return Table(
        key="case-studies-by-region", title=title, summary=summary,
        columns=[_("Region"), _("Published case studies")], rows=rows,
        chart=bar_chart(id="chart-region", title=title,
                        description=summary, items=[(r[0], r[1]) for r in rows],
                        axis_label=_("Published case studies")),
    )


# --- Moderation ------------------------------------------------------------------------------


DECISIONS = ("published", "changes_requested", "rejected")
# A decision is paired with the submission just before it in its case study's history. The
# history is read from this long before the first month shown, so a submission that waited
# that long is still found; one that waited longer is left out rather than guessed.
LOOKBACK = dt.timedelta(days=120)

# Per region and month, then per month for the whole network, from one pass over the history:
# the window function pairs each step with the one before it (no query per decision).
WAITS_SQL = """
WITH steps AS ({steps}),
waits AS (
  SELECT region, month, {seconds} AS waited FROM steps
   WHERE prev_action = 'submitted' AND step_action IN ('published', 'changes_requested', 'rejected')
     AND step_at >= %s
)
SELECT region, month, COUNT(*), {median}, {p90} FROM waits GROUP BY region, month
UNION ALL
SELECT NULL, month, COUNT(*), {median}, {p90} FROM waits GROUP BY month
"""
VENDOR_SQL = {
    "postgresql": {
        "seconds": "EXTRACT(EPOCH FROM (step_at - prev_at))",
        "median": "percentile_cont(0.5) WITHIN GROUP (ORDER BY waited)",
        "p90": "percentile_cont(0.9) WITHIN GROUP (ORDER BY waited)",
    },
    "sqlite": {
        "seconds": "(julianday(step_at) - julianday(prev_at)) * 86400.0",
        "median": "insight_percentile(waited, 0.5)",
        "p90": "insight_percentile(waited, 0.9)",
    },
}


def moderation_waits(since: dt.datetime) -> list[tuple]:
    """(region name or None for the whole network, month, decisions, median, 90th percentile
    in seconds) for decisions made since `since`, in one query."""
    in_order = {"partition_by": [F("case_study_id")], "order_by": [F("at").asc(), F("pk").asc()]}
    steps = (
        Transition.objects.filter(action__in=["submitted", *DECISIONS], at__gte=since - LOOKBACK)
        .annotate(
            step_at=F("at"),
            step_action=F("action"),
            prev_at=Window(Lag("at"), **in_order),
            prev_action=Window(Lag("action"), **in_order),
            region=F("case_study__organisation__region__name"),
            month=TruncMonth("at"),
        )
        .order_by()
        .values("step_at", "step_action", "prev_at", "prev_action", "region", "month")
    )
    steps_sql, params = steps.query.sql_with_params()
    sql = WAITS_SQL.format(steps=steps_sql, **VENDOR_SQL[connection.vendor])
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, connection.ops.adapt_datetimefield_value(since)])
        return cursor.fetchall()


def moderation_times(months: int = MONTHS) -> Table:
    """Submitted to decided, per region per month: how many decisions, the median and the
    90th percentile wait in days."""
    starts = month_starts(months)
    per_region, network = [], {}
    for region_name, month, n, median, p90 in moderation_waits(_aware(starts[0])):
        if region_name is None:
            network[_as_date(month)] = (_days(median), _days(p90))
        else:
            per_region.append((_as_date(month), region_name, n, _days(median), _days(p90)))
    rows = [[_month_label(month), *rest] for month, *rest in sorted(per_region)]
    medians = [network.get(m, (None, None))[0] for m in starts]
    p90s = [network.get(m, (None, None))[1] for m in starts]
    if rows:
        recent = next(i for i in range(len(starts) - 1, -1, -1) if medians[i] is not None)
        summary = _(
            "How long case studies waited between being submitted and a moderator's decision, in days. "
            "In %(month)s half were decided within %(median)s days and 9 in 10 within %(p90)s days across "
            "the network."
        ) % {
            "month": _month_label(starts[recent]), "median": format_number(medians[recent]),
            "p90": format_number(p90s[recent]),
        }
    else:
        summary = ngettext(
            "No moderation decisions were made in the last month.",
            "No moderation decisions were made in the last %(months)s months.",
            months,
        ) % {"months": months}
    return Table(
        key="moderation-times", title=_("Time to a moderation decision"), summary=summary,
        columns=[_("Month"), _("Region"), _("Decisions"), _("Median wait (days)"), _("90th percentile wait (days)")],
        rows=rows, private=True,
        chart=line_chart(
            id="chart-moderation", title=_("Days from submission to decision, across the network"),
            description=summary, x_labels=[_month_label(m) for m in starts],
            series=[(_("Median"), medians), (_("90th percentile"), p90s)], y_axis_label=_("Days"),
        ),
    )


def _as_date(value) -> dt.date:
    """A month as the database gave it: a datetime (PostgreSQL) or text (SQLite, raw SQL)."""
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _days(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / DAY, 1)


# --- Membership ------------------------------------------------------------------------------


def membership_growth(months: int = MONTHS) -> Table:
    """At the end of each month: organisations verified, and people with an active membership.
    One conditional count per month, so two queries whatever the size of the network."""
    starts = month_starts(months)
    ends = {f"m{i}": _aware(_next_month(day)) for i, day in enumerate(starts)}
    organisations = Organisation.objects.filter(
        status=Organisation.Status.VERIFIED, decided_at__isnull=False
    ).aggregate(**{key: Count("pk", filter=Q(decided_at__lt=end)) for key, end in ends.items()})
    memberships = (
        Membership.objects.filter(
            status__in=[Membership.Status.ACTIVE, Membership.Status.LEFT, Membership.Status.REMOVED]
        )
        .alias(started=Coalesce("decided_at", "requested_at"))
        .aggregate(**{
            key: Count("user", distinct=True,
                       filter=Q(started__lt=end) & (Q(ended_at__isnull=True) | Q(ended_at__gte=end)))
            for key, end in ends.items()
        })
    )
    rows = [[_month_label(day), organisations[f"m{i}"], memberships[f"m{i}"]] for i, day in enumerate(starts)]
    first, last = rows[0], rows[-1]
    summary = _(
        "At the end of %(month)s, %(organisations)s organisations were verified members and %(people)s people "
        "had an active membership, against %(first_organisations)s and %(first_people)s at the end of "
        "%(first_month)s."
    ) % {
        "month": last[0], "organisations": format_number(last[1]), "people": format_number(last[2]),
        "first_organisations": format_number(first[1]), "first_people": format_number(first[2]),
        "first_month": first[0],
    }
    return Table(
        key="membership-growth", title=_("Membership growth"), summary=summary,
        columns=[_("Month"), _("Organisations verified"), _("People with an active membership")], rows=rows,
        chart=line_chart(
            id="chart-membership", title=_("Verified organisations and people with an active membership"),
            description=summary, x_labels=[r[0] for r in rows],
            series=[(_("People"), [r[2] for r in rows]), (_("Organisations"), [r[1] for r in rows])],
            y_axis_label=_("Number at the end of the month"),
        ),
    )


# --- Digests ----------------------------------------------------------------------------------


def digest_reach(limit: int = DIGESTS) -> Table:
    """The latest digests sent: messages sent and failed, and how many of the people they went
    to have since turned that kind of digest off (the site keeps no date for unsubscribing)."""
    unsubscribed = Q(
        kind=Digest.Kind.PERSONAL,
        deliveries__recipient__digest_preference__frequency=DigestPreference.Frequency.NEVER,
    ) | Q(
        kind=Digest.Kind.COORDINATOR,
        deliveries__recipient__digest_preference__coordinator_digests=False,
    )
    digests = (
        Digest.objects.filter(status__in=[Digest.Status.SENDING, Digest.Status.SENT])
        .annotate(
            sent=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.SENT)),
            failed=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
            unsubscribed=Count("deliveries", filter=unsubscribed),
        )
        .order_by(F("started_at").desc(nulls_last=True), "-pk")
        .only("pk", "subject", "kind", "started_at")[:limit]
    )
    rows = [
        [d.subject, d.get_kind_display(),
         date_format(timezone.localtime(d.started_at), "j M Y") if d.started_at else "",
         d.sent, d.failed, d.unsubscribed]
        for d in digests
    ]
    if rows:
        sent, failed = sum(r[3] for r in rows), sum(r[4] for r in rows)
        summary = ngettext(
            "The latest %(count)s digest reached %(sent)s inboxes; %(failed)s messages could not be delivered.",
            "The latest %(count)s digests reached %(sent)s inboxes; %(failed)s messages could not be delivered.",
            len(rows),
        ) % {"count": len(rows), "sent": format_number(sent), "failed": format_number(failed)}
    else:
        summary = _("No digests have been sent yet.")
    return Table(
        key="digest-reach", title=_("Digest reach"), summary=summary,
        columns=[_("Digest"), _("Kind"), _("Sending started"), _("Sent"), _("Failed"),
                 _("Recipients since unsubscribed")],
        rows=rows, private=True,
        chart=bar_chart(id="chart-digests", title=_("Messages sent per digest"), description=summary,
                        items=[(r[0], r[3]) for r in rows], axis_label=_("Messages sent")) if rows else None,
    )


# --- Evidence ---------------------------------------------------------------------------------


def measures_covered() -> Table:
    """How many verified organisations have published at least one figure for each measure."""
    published_by_verified = Q(
        figures__status=AnnualFigure.Status.PUBLISHED,
        figures__organisation__status=Organisation.Status.VERIFIED,
    )
    measures = (
        StandardMeasure.objects.annotate(
            organisations=Count("figures__organisation", distinct=True, filter=published_by_verified)
        )
        .select_related("pillar")
        .only("pk", "name", "name_cy", "pillar__name", "pillar__name_cy", "pillar__position", "position")
        .order_by("pillar__position", "position", "name")  # an aggregate drops Meta.ordering
    )
    rows = [[m.display_name, m.pillar.label, m.organisations] for m in measures]
    covered = sum(1 for r in rows if r[2])
    summary = ngettext(
        "%(covered)s of %(count)s standard measure has published figures from at least one verified "
        "organisation. The chart counts the organisations that have published any year's figure for each.",
        "%(covered)s of %(count)s standard measures have published figures from at least one verified "
        "organisation. The chart counts the organisations that have published any year's figure for each.",
        len(rows),
    ) % {"covered": covered, "count": len(rows)}
    return Table(
        key="measures-covered", title=_("Standard measures with published figures"), summary=summary,
        columns=[_("Measure"), _("Pillar"), _("Organisations with published figures")], rows=rows,
        chart=bar_chart(id="chart-measures", title=_("Organisations with published figures, by measure"),
                        description=summary, items=[(r[0], r[2]) for r in rows],
                        axis_label=_("Organisations with published figures")) if rows else None,
    )


def commitments_covered() -> Table:
    """Signatories per commitment (verified organisations only)."""
    commitments = (
        Commitment.objects.annotate(
            signatories=Count(
                "signatures", filter=Q(signatures__organisation__status=Organisation.Status.VERIFIED)
            )
        )
        .select_related("measure")
        .only("pk", "title", "target_value", "target_date", "measure__name", "measure__name_cy", "measure__unit_kind")
        # Meta.ordering is not applied to a GROUP BY query: say the order.
        .order_by("target_date", "title")
    )
    rows = [
        [c.title, c.measure.display_name, c.target_formatted, date_format(c.target_date, "j F Y"), c.signatories]
        for c in commitments
    ]
    if rows:
        signed = sum(r[4] for r in rows)
        summary = ngettext(
            "%(signed)s signatures on %(count)s commitment from verified organisations.",
            "%(signed)s signatures on %(count)s commitments from verified organisations.",
            len(rows),
        ) % {"signed": format_number(signed), "count": len(rows)}
    else:
        summary = _("No commitments have been set yet.")
    return Table(
        key="commitments-signed", title=_("Commitments and their signatories"), summary=summary,
        columns=[_("Commitment"), _("Measure"), _("Target"), pgettext("by a date", "By"), _("Signatories")], rows=rows,
        chart=bar_chart(id="chart-commitments", title=_("Signatories per commitment"), description=summary,
                        items=[(r[0], r[4]) for r in rows], axis_label=_("Signatory organisations"))
        if rows else None,
    )


# --- Which tables whom -----------------------------------------------------------------------

TABLES: dict[str, tuple[Callable[[], Table], bool]] = {
    # key: (builder, private to leads and coordinators)
    "case-studies-by-pillar": (case_studies_by_pillar, False),
    "case-studies-by-region": (case_studies_by_region, False),
    "membership-growth": (membership_growth, False),
    "measures-covered": (measures_covered, False),
    "commitments-signed": (commitments_covered, False),
    "moderation-times": (moderation_times, True),
    "digest-reach": (digest_reach, True),
}


# Built tables are kept this long. At 100,000 case studies the moderation table takes seconds
# to work out, so the beat task (tasks.refresh_tables) rebuilds them all more often than this
# and a person only ever waits for one when the cache has been emptied.
CACHE_SECONDS = 15 * 60
# A built table holds its words (title, headings, summary, month names) in the language it was
# built in, so each language keeps its own copy.
CACHE_KEY = "insight:table:{language}:{key}"


def cache_key(key: str, language: str | None = None) -> str:
    """Where a table is kept: in the given language, or the active one."""
    return CACHE_KEY.format(language=language or get_language() or settings.LANGUAGE_CODE, key=key)


def build_table(key: str) -> Table:
    """Work a table out afresh, in the active language, and keep it for the next CACHE_SECONDS."""
    build, _private = TABLES[key]
    built = build()
    built.built_at = timezone.now()
    cache.set(cache_key(key), built, CACHE_SECONDS)
    return built


def table(key: str) -> Table:
    """The table as last built in the active language, or built now when none is kept."""
    return cache.get(cache_key(key)) or build_table(key)


def tables_for(user) -> list[Table]:
    detail = can_see_moderation(user)
    return [table(key) for key, (_build, private) in TABLES.items() if detail or not private]
