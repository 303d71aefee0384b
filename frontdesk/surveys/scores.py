"""Survey scores for the dashboards, the weekly digest and the public badge (FB6, FB7).

The industry's definitions, over the answers given in a period [start, end):

- **CSAT**: the share of CSAT answers (1–5) that are 4 or 5, in percent;
- **NPS**: the percentage of promoters (9–10) minus the percentage of detractors (0–6)
  among NPS answers (0–10), from −100 to 100;
- **CES**: the average effort score (1–7, 7 = very easy);
- **response rate**: of the invitations sent in the period (status sent or answered,
  `sent_at` in it), the share answered, in percent.

Every figure is one statement, never a query per row or per group: UNION ALL of one aggregate
per kind of score (CSAT, NPS, CES) and per invitation status (sent, answered), each reading its
own range of an index with only its own conditional counts. A summary is one statement; a trend
the same with one aggregate per bucket and kind; a breakdown the same grouped by the dimension
(plus one for the names of an id dimension). The answers' and invitations' dimensions are copied
onto their rows when the invitation is made (the agent, team … of that moment), so nothing is
joined, and the `answer_dashboard` and `invitation_dashboard` indexes hold every column these
queries read: they are answered from the index alone.

Long periods are not read row by row. `MonthFigures`, kept by database triggers on every write
to answers and invitations, holds each UTC month's counts for every value of every dimension and
for every pair of values of two dimensions. A summary or a breakdown that concerns at most two
dimensions (the breakdown's and the filters') reads its whole UTC months from there — a few rows
per month and value — and only the days around them from the rows, in the same statement; with
filters on more dimensions, it reads the rows (fewer of them: each filter narrows). Trends read
the rows: their buckets are local days. `bench/surveys.py` measures every case over 1,000,000
answers.

Buckets (day, week from Monday, month) are local dates in the current time zone. Their
boundaries are computed here, and a trend is one statement: UNION ALL of one aggregate per
bucket, each a range of the covering index. The same SQL on SQLite and PostgreSQL, exact
across daylight-saving changes, and fast on SQLite, where Django's `Trunc*` calls a Python
function for every row (8 µs each: 5 s for a year of scores) and a GROUP BY on any computed
bucket sorts every row first.

No permission checks here: callers check with `selectors.require_survey_manager` first.
"""

import contextlib
import itertools
import json
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import BigIntegerField, Count, F, IntegerField, Q, QuerySet, Sum, TextField, Value
from django.db.models.functions import Cast, Coalesce, NullIf
from django.db.models.lookups import Contains, Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

from frontdesk.accounts.models import Organisation, Team, User
from frontdesk.api.pagination import Page, paginate
from frontdesk.core.errors import ValidationError
from frontdesk.surveys.models import (
    Answer,
    Invitation,
    InvitationStatus,
    MonthFigures,
    QuestionKind,
    Sentiment,
    Survey,
)
from frontdesk.tickets.models import BookingStage, Channel

# What a breakdown can group by, and what a filter can narrow to.
DIMENSIONS: dict[str, StrPromise] = {
    "survey": _("Survey"),
    "agent": _("Agent"),
    "team": _("Team"),
    "organisation": _("Organisation"),
    "channel": _("Channel"),
    "region": _("Region"),
    "product": _("Product"),
    "booking_stage": _("Booking stage"),
}
# Each dimension's column on Answer and Invitation (the same names on both).
COLUMNS: dict[str, str] = {
    "survey": "survey_id",
    "agent": "agent_id",
    "team": "team_id",
    "organisation": "organisation_id",
    "channel": "channel",
    "region": "region",
    "product": "product",
    "booking_stage": "booking_stage",
}
# A breakdown's row for answers without the dimension (no agent, no channel …) has this key; a
# filter narrows to them with it (text dimensions) or with 0 (id dimensions).
NOT_SET = "-"
BUCKETS = ("day", "week", "month")
MAX_BUCKETS = 400  # a statement per trend, one SELECT per bucket (SQLite takes at most 500 in one)
PUBLIC_DAYS = 90  # FB7: the public score covers the last 90 days
PHRASE_TEXTS = 1000  # emergent phrases: the period's newest comments in the language, this many at most


@dataclass(frozen=True)
class Filters:
    """What the figures are narrowed to; None or "" for any. An id of 0, or NOT_SET for a text
    dimension, narrows to the answers without one (no agent, no channel …)."""

    survey_id: int | None = None
    agent_id: int | None = None
    team_id: int | None = None
    organisation_id: int | None = None
    channel: str = ""
    region: str = ""
    product: str = ""
    booking_stage: str = ""


@dataclass(frozen=True)
class Summary:
    csat: float | None  # percent of 4–5 among CSAT answers, 1 decimal
    csat_answers: int
    nps: float | None  # % promoters − % detractors, 1 decimal
    nps_answers: int
    promoters: int
    passives: int
    detractors: int
    ces: float | None  # average, 2 decimals
    ces_answers: int
    sent: int  # invitations sent in the period
    answered: int  # of those, answered
    response_rate: float | None  # percent, 1 decimal


@dataclass(frozen=True)
class TrendPoint:
    start: date  # the bucket's first local day
    summary: Summary


@dataclass(frozen=True)
class BreakdownRow:
    key: str  # the id or the value; NOT_SET for the answers without one
    label: str
    summary: Summary


AnswerPage = Page[Answer]  # a page of `answers`


@dataclass(frozen=True)
class ThemeCount:
    key: str
    label: str
    count: int  # comments of the period with the theme
    negative: int  # of those, negative


@dataclass(frozen=True)
class PublicScore:
    csat: float | None
    answers: int
    start: datetime
    end: datetime


# --- the queries' parts ------------------------------------------------------------------


def _narrow(filters: Filters) -> Q:
    """The filters as a condition on Answer or Invitation (the same columns on both)."""
    condition = Q()
    for column in ("survey_id", "agent_id", "team_id", "organisation_id"):
        value = getattr(filters, column)
        if value == 0:
            # Those without one: a broad set, best read through the period's range of an index. Not
            # `IS NULL`: SQLite, with no statistics on NULLs, would read every such row of all time
            # through the column's own index and the table, even for the hours at a period's ends.
            condition &= Q(Exact(Coalesce(column, Value(0)), 0))
        elif value is not None:
            condition &= Q(**{column: value})
    for column in ("channel", "region", "product", "booking_stage"):
        value = getattr(filters, column)
        if value:
            condition &= Q(**{column: "" if value == NOT_SET else value})
    return condition


def narrowed(filters: Filters, dimension: str, key: str) -> Filters:
    """The filters with one breakdown row's dimension added: where its figures' answers are."""
    column = COLUMNS[dimension]
    values: dict[str, Any] = {column: (0 if key == NOT_SET else int(key)) if column.endswith("_id") else key}
    return replace(filters, **values)


# The counts a summary is made of, in the order every arm of a statement gives them.
FIGURES = (
    "csat_answers",
    "csat_satisfied",
    "nps_answers",
    "promoters",
    "detractors",
    "ces_answers",
    "ces_total",
    "sent",
    "answered",
)


@dataclass(frozen=True)
class _Arm:
    """One SELECT of a statement: the rows it reads, the time column a period bounds, and what it
    counts (the figures it does not count are 0). Every arm of a statement gives the same columns,
    so that UNION ALL lines them up; each reads one range of a covering index."""

    rows: QuerySet[Any]
    column: str
    figures: dict[str, Any]


def _score_arms(filters: Filters) -> list[_Arm]:
    """One arm per kind of score (a kind's range of `answer_dashboard`, and only its own counts: half
    the work of counting every kind's figures over every row). Counted over `score`, a column of the
    index (COUNT(id) would read the table on PostgreSQL)."""
    rows = Answer.objects.filter(_narrow(filters), score__isnull=False).order_by()
    return [
        _Arm(
            rows.filter(kind=QuestionKind.CSAT),
            "answered_at",
            {"csat_answers": Count("score"), "csat_satisfied": Count("score", filter=Q(score__gte=4))},
        ),
        _Arm(
            rows.filter(kind=QuestionKind.NPS),
            "answered_at",
            {
                "nps_answers": Count("score"),
                "promoters": Count("score", filter=Q(score__gte=9)),
                "detractors": Count("score", filter=Q(score__lte=6)),
            },
        ),
        _Arm(
            rows.filter(kind=QuestionKind.CES),
            "answered_at",
            {"ces_answers": Count("score"), "ces_total": Sum("score")},
        ),
    ]


def _sent_arms(filters: Filters) -> list[_Arm]:
    """Invitations sent and not answered, and sent and answered: one range of `invitation_dashboard` each."""
    rows = Invitation.objects.filter(_narrow(filters)).order_by()
    return [
        _Arm(rows.filter(status=InvitationStatus.SENT), "sent_at", {"sent": Count("status")}),
        _Arm(
            rows.filter(status=InvitationStatus.ANSWERED),
            "sent_at",
            {"sent": Count("status"), "answered": Count("status")},
        ),
    ]


def _added_up(rows: list[dict[str, Any]], key: str | None) -> dict[Any, dict[str, int]]:
    """The statement's rows added up into summary figures, per value of `key` (None: all together)."""
    found: dict[Any, dict[str, int]] = {}
    for row in rows:
        figures = found.setdefault(row[key] if key else None, dict.fromkeys(FIGURES, 0))
        for name in FIGURES:
            figures[name] += int(row[name] or 0)  # PostgreSQL's SUM of a bigint is a numeric (a Decimal)
    return found


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _summary(figures: dict[str, Any] | None) -> Summary:
    f = figures or {}
    csat_answers, nps_answers, ces_answers = f.get("csat_answers", 0), f.get("nps_answers", 0), f.get("ces_answers", 0)
    promoters, detractors = f.get("promoters", 0), f.get("detractors", 0)
    sent, answered = f.get("sent", 0), f.get("answered", 0)
    return Summary(
        csat=_percent(f.get("csat_satisfied", 0), csat_answers),
        csat_answers=csat_answers,
        nps=round(100 * (promoters - detractors) / nps_answers, 1) if nps_answers else None,
        nps_answers=nps_answers,
        promoters=promoters,
        passives=nps_answers - promoters - detractors,
        detractors=detractors,
        ces=round((f.get("ces_total") or 0) / ces_answers, 2) if ces_answers else None,
        ces_answers=ces_answers,
        sent=sent,
        answered=answered,
        response_rate=_percent(answered, sent),
    )


# --- buckets -----------------------------------------------------------------------------


def _bucket_day(day: date, bucket: str) -> date:
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def _next_day(day: date, bucket: str) -> date:
    if bucket == "week":
        return day + timedelta(days=7)
    if bucket == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def bucket_days(*, start: datetime, end: datetime, bucket: str, zone: tzinfo | None = None) -> list[date]:
    """The first local day of each bucket that [start, end) touches, and the day after the last."""
    if bucket not in BUCKETS:
        raise ValidationError(f"Unknown bucket “{bucket}”; use one of: {', '.join(BUCKETS)}.", field="bucket")
    zone = zone or timezone.get_current_timezone()
    day = _bucket_day(start.astimezone(zone).date(), bucket)
    days = [day]
    while datetime.combine(days[-1], time.min, tzinfo=zone) < end:
        days.append(_next_day(days[-1], bucket))
        if len(days) > MAX_BUCKETS + 1:
            raise ValidationError("Too many buckets: choose a longer one or a shorter period.", field="bucket")
    if len(days) == 1:  # an empty period: one bucket, empty
        days.append(_next_day(day, bucket))
    return days


def _buckets(start: datetime, end: datetime, bucket: str) -> tuple[list[date], list[tuple[datetime, datetime]]]:
    """Each bucket's first day, and the part of [start, end) it covers."""
    zone = timezone.get_current_timezone()
    days = bucket_days(start=start, end=end, bucket=bucket, zone=zone)
    bounds = [datetime.combine(day, time.min, tzinfo=zone) for day in days]
    spans = [(max(low, start), min(high, end)) for low, high in itertools.pairwise(bounds)]
    return days[:-1], spans


# Stand-ins for a bucket's bounds and number while an arm's SELECT is compiled (no real row is that old).
_FROM, _TO, _NUMBER = datetime(1, 1, 1, tzinfo=UTC), datetime(1, 1, 2, tzinfo=UTC), -1
MAX_ARMS = 500  # SELECTs in one UNION ALL (SQLite's limit); more are run as several statements


def _lined_up(select: QuerySet[Any], columns: dict[str, str]) -> tuple[str, list[Any]]:
    """The SELECT's SQL with its columns in a statement's order and names ({statement's: SELECT's}),
    so that UNION ALL lines up SELECTs that Django compiled each its own way."""
    sql, params = select.query.sql_with_params()
    quote = connections[select.db].ops.quote_name
    listed = ", ".join(f"{quote(inner)} AS {quote(outer)}" for outer, inner in columns.items())
    return f"SELECT {listed} FROM ({sql}) AS arm", list(params)  # noqa: S608 (quoted names, compiled SQL)


def _run(
    arms: list[_Arm],
    spans: list[tuple[datetime, datetime]],
    by: tuple[str, ...] = (),
    names: tuple[str, ...] = FIGURES,
    extra: tuple[tuple[str, list[Any]], ...] = (),
) -> list[dict[str, Any]]:
    """Every arm's figures over each span (its `column` in it; grouped `by` those columns within it),
    and the `extra` SELECTs (lined up already), in one statement: UNION ALL of one aggregate per arm
    and span. Each row has the span's number under "bucket" (0 in the extra SELECTs), the `by`
    columns and the `names` figures.

    A GROUP BY on a computed bucket would make SQLite sort every row first (1.4 s of CPU for a year
    of invitations, against 0.3 s this way). Each arm's SELECT is compiled once with stand-ins for the
    bounds and the bucket's number, then repeated with each span's values: Django takes 2 ms to
    compile one, and a trend by day has 90 spans."""
    columns = {column: column for column in ("bucket", *by, *names)}
    zero = Value(0, output_field=IntegerField())
    compiled = []
    for arm in arms:
        select = (
            arm.rows.filter(**{f"{arm.column}__gte": _FROM, f"{arm.column}__lt": _TO})
            .annotate(bucket=Value(_NUMBER, output_field=IntegerField()))
            .values("bucket", *by)
            .annotate(**{name: arm.figures.get(name, zero) for name in names})
        )
        compiled.append(_lined_up(select, columns))
    selects: list[tuple[str, list[Any]]] = list(extra)
    connection = connections[arms[0].rows.db if arms else DEFAULT_DB_ALIAS]
    if arms:
        adapt = connection.ops.adapt_datetimefield_value
        stand_ins = {adapt(_FROM): 0, adapt(_TO): 1, _NUMBER: 2}
        for number, (low, high) in enumerate(spans):
            own = (adapt(low), adapt(high), number)
            for sql, params in compiled:
                slots = [stand_ins.get(param) for param in params]
                if sorted(slot for slot in slots if slot is not None) != [0, 1, 2]:
                    raise AssertionError(f"the stand-ins are not once each in {params!r}")  # Django compiled otherwise
                selects.append(
                    (sql, [param if slot is None else own[slot] for param, slot in zip(params, slots, strict=True)])
                )
    rows: list[dict[str, Any]] = []
    postgres = connection.vendor == "postgresql"
    # On SQLite a transaction would take the write lock (core.sqlite): a read needs none.
    scope = transaction.atomic(using=connection.alias, savepoint=False) if postgres else contextlib.nullcontext()
    with scope, connection.cursor() as cursor:
        if postgres:
            # A statement of hundreds of small aggregates costs more than jit_above_cost, and JIT
            # compiling its thousands of expressions takes longer (0.5 s for a trend by week over a
            # year) than running them. For this transaction only.
            cursor.execute("SET LOCAL jit = off")
        for first in range(0, len(selects), MAX_ARMS):
            chunk = selects[first : first + MAX_ARMS]
            cursor.execute(" UNION ALL ".join(sql for sql, _params in chunk), [p for _sql, ps in chunk for p in ps])
            found = [description[0] for description in cursor.description]
            rows += [dict(zip(found, row, strict=True)) for row in cursor.fetchall()]
    return rows


# --- the rollup ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rollup:
    """The rollup's rows (`MonthFigures`) that hold the figures asked for: those of one dimension's
    values, or of one pair's (the dimensions in name order), some of the values fixed, grouped by
    the values of one of them (or added up)."""

    dimension: str
    other_dimension: str  # "" for a single dimension
    value: str | None  # None: any
    other_value: str | None
    grouped_by: str  # "value", "other_value" or "" (all together)


def _rollup_rows(filters: Filters, dimension: str | None) -> _Rollup | None:
    """Which rows of the rollup hold the figures asked for (per value of `dimension` when given), or
    None when only the answers and invitations do: the rollup holds every dimension and every pair
    of two, so a question about at most two (the breakdown's and the filters') can be read from it.
    Without a filter, a summary adds up the survey dimension's values: every answer has a survey."""
    chosen: dict[str, str] = {}
    for name, column in COLUMNS.items():
        value = getattr(filters, column)
        if value is None or value == "":
            continue
        chosen[name] = "" if value == NOT_SET or (column.endswith("_id") and value == 0) else str(value)
    asked = sorted(chosen.keys() | ({dimension} if dimension else set())) or ["survey"]
    if len(asked) > 2:
        return None
    first, second = [*asked, ""][:2]
    grouped_by = "" if dimension is None else "value" if dimension == first else "other_value"
    return _Rollup(first, second, chosen.get(first), "" if not second else chosen.get(second), grouped_by)


def _whole_months(start: datetime, end: datetime) -> tuple[tuple[date, date] | None, list[tuple[datetime, datetime]]]:
    """[start, end) as the UTC months wholly in it, [first, last) (the rollup's part), and the spans
    before and after them (the rows' part); with no whole month, None and the period itself."""
    low, high = start.astimezone(UTC), end.astimezone(UTC)
    first = low.date().replace(day=1)
    if low != datetime.combine(first, time.min, tzinfo=UTC):
        first = _next_day(first, "month")
    last = high.date().replace(day=1)
    if first >= last:
        return None, [(start, end)]
    first_midnight, last_midnight = (datetime.combine(day, time.min, tzinfo=UTC) for day in (first, last))
    spans = [(start, first_midnight)] if start < first_midnight else []
    if last_midnight < end:
        spans.append((last_midnight, end))
    return (first, last), spans


def _rollup_select(rollup: _Rollup, months: tuple[date, date], by: tuple[str, ...]) -> tuple[str, list[Any]]:
    """The rollup's SELECT of a statement: its rows of the months, added up (per value, when `by`)."""
    found = MonthFigures.objects.filter(
        dimension=rollup.dimension, other_dimension=rollup.other_dimension, month__gte=months[0], month__lt=months[1]
    ).order_by()
    if rollup.value is not None:
        found = found.filter(value=rollup.value)
    if rollup.other_value is not None:
        found = found.filter(other_value=rollup.other_value)
    keys: dict[str, Any] = {}
    if by:  # the value as the rows' column has it: an id (NULL for none) or the text
        column = F(rollup.grouped_by)
        keys["rollup_key"] = Cast(NullIf(column, Value("")), BigIntegerField()) if by[0].endswith("_id") else column
    select = (
        found.annotate(bucket=Value(0, output_field=IntegerField()), **keys)
        .values("bucket", *keys)
        .annotate(**{f"rollup_{name}": Sum(name) for name in FIGURES})
    )
    columns = {"bucket": "bucket", **dict.fromkeys(by, "rollup_key"), **{name: f"rollup_{name}" for name in FIGURES}}
    return _lined_up(select, columns)


# --- figures -----------------------------------------------------------------------------


def _figures(start: datetime, end: datetime, filters: Filters, dimension: str | None = None) -> list[dict[str, Any]]:
    """The figures over [start, end) (per value of the dimension, when given), in one statement: from
    the rollup for the whole UTC months when it holds them (`_rollup_rows`) and from the answers and
    invitations for the days around those months, else from the answers and invitations alone."""
    by = (COLUMNS[dimension],) if dimension else ()
    rollup = _rollup_rows(filters, dimension)
    months, spans = _whole_months(start, end) if rollup else (None, [(start, end)])
    extra = (_rollup_select(rollup, months, by),) if rollup and months else ()
    arms = _score_arms(filters) + _sent_arms(filters) if spans else []
    return _run(arms, spans, by, extra=extra)


def summary(*, start: datetime, end: datetime, filters: Filters = Filters()) -> Summary:
    """CSAT, NPS, CES and the response rate over [start, end): one query."""
    return _summary(_added_up(_figures(start, end, filters), None).get(None))


def trend(*, start: datetime, end: datetime, bucket: str = "week", filters: Filters = Filters()) -> list[TrendPoint]:
    """The summary of each day, week or month of the period, every bucket present: one query (more
    past MAX_ARMS SELECTs: a trend by day over more than 100 days). Read from the answers and
    invitations: its buckets are local days, weeks and months, which the rollup's UTC months do not
    line up with."""
    days, spans = _buckets(start, end, bucket)
    figures = _added_up(_run(_score_arms(filters) + _sent_arms(filters), spans), "bucket")
    return [TrendPoint(start=day, summary=_summary(figures.get(n))) for n, day in enumerate(days)]


def breakdown(*, start: datetime, end: datetime, dimension: str, filters: Filters = Filters()) -> list[BreakdownRow]:
    """The summary per agent, team, organisation … (each with answers or invitations in the period),
    most answers first; answers without one are the row NOT_SET. One query, and one for names."""
    if dimension not in COLUMNS:
        raise ValidationError(
            f"Unknown dimension “{dimension}”; use one of: {', '.join(DIMENSIONS)}.", field="dimension"
        )
    found = _added_up(_figures(start, end, filters, dimension), COLUMNS[dimension])
    # A rollup row whose answers were changed away counts nothing: not a row of the breakdown.
    figures = {_key(group): counts for group, counts in found.items() if any(counts.values())}
    labels = _labels(dimension, set(figures))
    rows = [BreakdownRow(key=key, label=labels[key], summary=_summary(counts)) for key, counts in figures.items()]
    rows.sort(key=lambda row: (-_answers(row.summary), -row.summary.sent, row.key == NOT_SET, row.label.lower()))
    return rows


def _key(value: object) -> str:
    return NOT_SET if value is None or value == "" else str(value)


def _answers(figures: Summary) -> int:
    return figures.csat_answers + figures.nps_answers + figures.ces_answers


def _labels(dimension: str, keys: set[str]) -> dict[str, str]:
    """What each key reads as: a name for ids (one query), the display of a choice, the value itself."""
    labels = {key: key for key in keys}
    models: dict[str, Any] = {"survey": Survey, "agent": User, "team": Team, "organisation": Organisation}
    ids = [int(key) for key in keys if key != NOT_SET] if dimension in models else []
    if ids:
        labels.update(
            (str(pk), name) for pk, name in models[dimension].objects.filter(pk__in=ids).values_list("pk", "name")
        )
    choices: dict[str, Any] = {"channel": Channel, "booking_stage": BookingStage}
    if dimension in choices:
        display = dict(choices[dimension].choices)
        labels.update((key, str(display[key])) for key in keys if key in display)
    if NOT_SET in labels:
        labels[NOT_SET] = str(_("Not set"))
    return labels


# --- the answers themselves ------------------------------------------------------------------


def _with_theme(key: str) -> Contains:
    """Comments tagged with the theme: its key, quoted, in the JSON list as text (the same on both databases)."""
    return Contains(Cast("themes", TextField()), f'"{key}"')


def answers(
    *,
    start: datetime,
    end: datetime,
    filters: Filters = Filters(),
    kind: str = "",
    score: int | None = None,
    theme: str = "",
    sentiment: str = "",
    ideas: bool = False,
    cursor: str | None = None,
    limit: int = 50,
    score_min: int | None = None,
    score_max: int | None = None,
    text: str = "",
) -> AnswerPage:
    """The answers behind a figure, newest first, a page at a time (`api.pagination.paginate`: the
    cursor is the last answer's time and id). `score_min`/`score_max` narrow to a band (promoters:
    NPS 9–10), `text` to comments that contain it. One query."""
    found = Answer.objects.filter(_narrow(filters), answered_at__gte=start, answered_at__lt=end)
    if kind:
        found = found.filter(kind=kind)
    if score is not None:
        found = found.filter(score=score)
    if score_min is not None:
        found = found.filter(score__gte=score_min)
    if score_max is not None:
        found = found.filter(score__lte=score_max)
    if theme:
        found = found.filter(_with_theme(theme)).exclude(comment="")
    if sentiment:
        found = found.filter(sentiment_label=sentiment)
    if ideas:
        found = found.filter(is_idea=True)
    if text:
        found = found.filter(comment__icontains=text)
    found = found.select_related("survey", "question", "contact", "agent", "invitation")
    return paginate(found, order="-answered_at", cursor=cursor or "", size=limit)


def comments_of(items: list[Answer]) -> dict[int, Answer]:
    """The comment given with each answer, by the answer's id: its own, or the comment answer of the
    same invitation (a detractor's score and what they wrote beside it). One query."""
    own = {item.pk: item for item in items if item.comment}
    wanted = {item.invitation_id for item in items if not item.comment}
    beside = {
        comment.invitation_id: comment
        for comment in Answer.objects.filter(invitation_id__in=wanted).exclude(comment="").order_by("pk")
    }
    found = {item.pk: beside[item.invitation_id] for item in items if item.invitation_id in beside}
    return {**found, **own}


# --- comments ------------------------------------------------------------------------------


def _comments(filters: Filters, start: datetime | None = None, end: datetime | None = None) -> QuerySet[Answer]:
    """Answers with a comment, in [start, end) when given."""
    rows = Answer.objects.filter(_narrow(filters)).exclude(comment="").order_by()
    return rows if start is None else rows.filter(answered_at__gte=start, answered_at__lt=end)


def themes(*, start: datetime, end: datetime, filters: Filters = Filters(), limit: int = 10) -> list[ThemeCount]:
    """The recurring themes of the period's comments, most frequent first, with how many of those
    comments were negative. One query, grouped by the comments' sets of themes (a few hundred at
    most), which are then counted theme by theme."""
    from frontdesk.surveys import text

    counts: Counter[str] = Counter()
    negative: Counter[str] = Counter()
    for row in _comments(filters, start, end).values("themes", "sentiment_label").annotate(comments=Count("pk")):
        for key in set(row["themes"] or ()):
            counts[key] += row["comments"]
            if row["sentiment_label"] == Sentiment.NEGATIVE:
                negative[key] += row["comments"]
    found = [
        ThemeCount(key=key, label=str(theme.label), count=counts[key], negative=negative[key])
        for key, theme in text.THEMES.items()
        if counts[key]
    ]
    found.sort(key=lambda item: (-item.count, item.label.lower()))
    return found[:limit]


def themes_over_time(
    *, start: datetime, end: datetime, bucket: str = "week", filters: Filters = Filters()
) -> list[tuple[date, dict[str, int]]]:
    """How many comments had each theme, per bucket (every theme and every bucket present). One query."""
    from frontdesk.surveys import text

    days, spans = _buckets(start, end, bucket)
    counts: list[Counter[str]] = [Counter() for _day in days]
    arm = _Arm(_comments(filters), "answered_at", {"comments": Count("pk")})
    for row in _run([arm], spans, by=("themes",), names=("comments",)):
        found = row["themes"]
        for key in set(json.loads(found) if isinstance(found, str) else found or ()):
            counts[row["bucket"]][key] += row["comments"]
    return [(day, {key: counts[n][key] for key in text.THEMES}) for n, day in enumerate(days)]


def phrases(*, start: datetime, end: datetime, language: str, limit: int = 10) -> list[tuple[str, int]]:
    """Phrases that recur in the period's comments in one language (emergent themes nobody named
    yet), from its newest PHRASE_TEXTS comments."""
    from frontdesk.surveys import text

    texts = list(
        _comments(Filters(), start, end)
        .filter(language=language)
        .order_by("-answered_at")
        .values_list("comment", flat=True)[:PHRASE_TEXTS]
    )
    return text.recurring_phrases(texts, language=language, limit=limit)


# --- the public score ------------------------------------------------------------------------


def public_csat(*, now: datetime) -> PublicScore:
    """FB7: the CSAT of the last 90 days, with the number of answers. One query."""
    start = now - timedelta(days=PUBLIC_DAYS)
    figures = Answer.objects.filter(
        kind=QuestionKind.CSAT, answered_at__gte=start, answered_at__lt=now, score__isnull=False
    ).aggregate(answers=Count("score"), satisfied=Count("score", filter=Q(score__gte=4)))
    return PublicScore(
        csat=_percent(figures["satisfied"], figures["answers"]), answers=figures["answers"], start=start, end=now
    )
