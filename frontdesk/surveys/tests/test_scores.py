"""Survey scores (surveys.scores): the industry's definitions on small hand-made data, every
breakdown, buckets, the drill-down's pages, the public score and the themes."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Team
from frontdesk.accounts.tests.factories import OrganisationFactory, TeamFactory, UserFactory
from frontdesk.core.errors import ValidationError
from frontdesk.surveys import scores
from frontdesk.surveys.models import Answer, Invitation, InvitationStatus, QuestionKind, Survey
from frontdesk.surveys.scores import NOT_SET, Filters, Summary
from frontdesk.surveys.tests.factories import SurveyFactory, answer, sent_invitation
from frontdesk.surveys.tests.factories import question as question_of

pytestmark = pytest.mark.django_db

CSAT, NPS, CES, YES_NO, COMMENT = (
    QuestionKind.CSAT,
    QuestionKind.NPS,
    QuestionKind.CES,
    QuestionKind.YES_NO,
    QuestionKind.COMMENT,
)
START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)
MID = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def survey() -> Survey:
    return SurveyFactory.create(name="After a ticket")


def invited(survey: Survey, at: datetime = MID, *, answered: bool = False, **fields: Any) -> Invitation:
    invitation = sent_invitation(survey, now=at, **fields)
    if answered:
        invitation.status, invitation.answered_at = InvitationStatus.ANSWERED, at
        invitation.save(update_fields=["status", "answered_at"])
    return invitation


def scored(survey: Survey, kind: str, values: list[int], at: datetime = MID, **fields: Any) -> list[Answer]:
    """One invitation per value (answered), each with one answer of the kind."""
    rows = []
    for value in values:
        invitation = invited(survey, at, answered=True, **fields)
        rows.append(answer(invitation, kind, value, now=at))
    return rows


def comment(survey: Survey, text: str, *, themes: list[str], sentiment: str = "neutral", **fields: Any) -> Answer:
    at = fields.pop("at", MID)
    return answer(
        invited(survey, at),
        COMMENT,
        None,
        now=at,
        comment=text,
        themes=themes,
        sentiment_label=sentiment,
        language=fields.pop("language", "en"),
        **fields,
    )


def figures(**filters: Any) -> Summary:
    return scores.summary(start=START, end=END, filters=Filters(**filters))


# --- the definitions -------------------------------------------------------------------


def test_csat_is_the_share_of_fours_and_fives(survey: Survey) -> None:
    scored(survey, CSAT, [5, 4, 4, 3, 1, 2, 5, 4, 5, 3])

    result = figures()

    assert (result.csat, result.csat_answers) == (60.0, 10)


def test_csat_rounds_to_one_decimal(survey: Survey) -> None:
    scored(survey, CSAT, [5, 5, 1])

    assert figures().csat == 66.7


def test_nps_is_promoters_minus_detractors_in_percent(survey: Survey) -> None:
    scored(survey, NPS, [10, 9, 9, 8, 7, 6, 0, 10, 3, 9])

    result = figures()

    assert (result.promoters, result.passives, result.detractors, result.nps_answers) == (5, 2, 3, 10)
    assert result.nps == 20.0


def test_nps_can_be_negative(survey: Survey) -> None:
    scored(survey, NPS, [0, 6, 6, 8])

    assert figures().nps == -75.0


def test_ces_is_the_average_effort_score(survey: Survey) -> None:
    scored(survey, CES, [7, 6, 6])

    assert (figures().ces, figures().ces_answers) == (6.33, 3)


def test_kinds_do_not_mix(survey: Survey) -> None:
    scored(survey, CSAT, [5])
    scored(survey, NPS, [0])
    scored(survey, CES, [1])
    scored(survey, YES_NO, [0, 1])

    result = figures()

    assert (result.csat, result.nps, result.ces) == (100.0, -100.0, 1.0)
    assert (result.csat_answers, result.nps_answers, result.ces_answers) == (1, 1, 1)


def test_response_rate_is_answered_of_sent_in_the_period(survey: Survey) -> None:
    for _ in range(3):
        invited(survey)
    scored(survey, CSAT, [5])
    invited(survey, START - timedelta(seconds=1))  # sent before the period
    Invitation.objects.filter(pk=invited(survey).pk).update(status=InvitationStatus.THROTTLED, sent_at=None)
    Invitation.objects.filter(pk=invited(survey).pk).update(status=InvitationStatus.SCHEDULED, sent_at=None)

    result = figures()

    assert (result.sent, result.answered, result.response_rate) == (4, 1, 25.0)


def test_an_empty_period_has_counts_of_zero_and_no_scores() -> None:
    assert figures() == Summary(
        csat=None,
        csat_answers=0,
        nps=None,
        nps_answers=0,
        promoters=0,
        passives=0,
        detractors=0,
        ces=None,
        ces_answers=0,
        sent=0,
        answered=0,
        response_rate=None,
    )


def test_the_period_includes_its_start_and_excludes_its_end(survey: Survey) -> None:
    scored(survey, CSAT, [5], at=START)
    scored(survey, CSAT, [1], at=END)
    scored(survey, CSAT, [1], at=START - timedelta(microseconds=1))

    assert (figures().csat, figures().csat_answers) == (100.0, 1)


def test_summary_takes_two_queries(survey: Survey, django_assert_max_num_queries: DjangoAssertNumQueries) -> None:
    scored(survey, CSAT, [5, 4, 1])
    scored(survey, NPS, [10, 0])

    with django_assert_max_num_queries(2):
        figures()


# --- filters ---------------------------------------------------------------------------


@pytest.fixture
def places(survey: Survey) -> dict[str, Any]:
    """Two invitations, answered 5 and 1, that differ in every dimension, and one with none (answered 3)."""
    other = SurveyFactory.create(name="After a chat")
    first: dict[str, Any] = {
        "agent": UserFactory.create(name="Ana"),
        "team": TeamFactory.create(name="Reservations"),
        "organisation": OrganisationFactory.create(name="Acme Hotels"),
        "channel": "email",
        "region": "Andalucía",
        "product": "PMS",
        "booking_stage": "in_stay",
    }
    second: dict[str, Any] = {
        "agent": UserFactory.create(name="Bruno"),
        "team": TeamFactory.create(name="Billing"),
        "organisation": OrganisationFactory.create(name="Baltic Stays"),
        "channel": "whatsapp",
        "region": "Vilnius",
        "product": "Channel manager",
        "booking_stage": "pre_booking",
    }
    scored(survey, CSAT, [5], **first)
    scored(other, CSAT, [1], **second)
    scored(survey, CSAT, [3])
    return {"surveys": (survey, other), "first": first, "second": second}


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("agent_id", "agent"),
        ("team_id", "team"),
        ("organisation_id", "organisation"),
        ("channel", "channel"),
        ("region", "region"),
        ("product", "product"),
        ("booking_stage", "booking_stage"),
    ],
)
def test_each_filter_narrows_scores_and_invitations(places: dict[str, Any], name: str, field: str) -> None:
    value = places["first"][field]
    value = value.pk if hasattr(value, "pk") else value

    result = figures(**{name: value})

    assert (result.csat, result.csat_answers, result.sent) == (100.0, 1, 1)


@pytest.mark.parametrize(
    ("name", "none"),
    [
        ("agent_id", 0),
        ("team_id", 0),
        ("organisation_id", 0),
        ("channel", NOT_SET),
        ("region", NOT_SET),
        ("product", NOT_SET),
        ("booking_stage", NOT_SET),
    ],
)
def test_a_filter_can_ask_for_answers_without_the_dimension(places: dict[str, Any], name: str, none: object) -> None:
    result = figures(**{name: none})

    assert (result.csat, result.csat_answers, result.sent) == (0.0, 1, 1)


def test_the_survey_filter_and_filters_together(places: dict[str, Any]) -> None:
    survey, other = places["surveys"]

    assert figures(survey_id=survey.pk).csat_answers == 2
    assert figures(survey_id=other.pk).csat == 0.0
    assert figures(survey_id=survey.pk, channel="whatsapp").csat_answers == 0


# --- breakdowns ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dimension", "labels"),
    [
        ("survey", ["After a ticket", "After a chat"]),
        ("agent", ["Ana", "Bruno", "Not set"]),
        ("team", ["Reservations", "Billing", "Not set"]),
        ("organisation", ["Acme Hotels", "Baltic Stays", "Not set"]),
        ("channel", ["E-mail", "WhatsApp", "Not set"]),
        ("region", ["Andalucía", "Vilnius", "Not set"]),
        ("product", ["PMS", "Channel manager", "Not set"]),
        ("booking_stage", ["In stay", "Pre-booking", "Not set"]),
    ],
)
def test_breakdown_by_each_dimension(places: dict[str, Any], dimension: str, labels: list[str]) -> None:
    rows = scores.breakdown(start=START, end=END, dimension=dimension)

    by_label = {row.label: (row.summary.csat, row.summary.csat_answers, row.summary.sent) for row in rows}
    if dimension == "survey":
        assert by_label == {"After a ticket": (50.0, 2, 2), "After a chat": (0.0, 1, 1)}
    else:
        assert by_label == {labels[0]: (100.0, 1, 1), labels[1]: (0.0, 1, 1), labels[2]: (0.0, 1, 1)}
    assert sorted(row.label for row in rows) == sorted(labels)


def test_a_breakdown_row_narrows_to_its_own_figures(places: dict[str, Any]) -> None:
    for dimension in scores.DIMENSIONS:
        for row in scores.breakdown(start=START, end=END, dimension=dimension):
            narrowed = scores.narrowed(Filters(), dimension, row.key)
            assert scores.summary(start=START, end=END, filters=narrowed) == row.summary, (dimension, row.label)


def test_breakdown_keys_are_ids_or_values(places: dict[str, Any]) -> None:
    agents = {row.label: row.key for row in scores.breakdown(start=START, end=END, dimension="agent")}
    channels = {row.label: row.key for row in scores.breakdown(start=START, end=END, dimension="channel")}

    assert agents == {
        "Ana": str(places["first"]["agent"].pk),
        "Bruno": str(places["second"]["agent"].pk),
        "Not set": NOT_SET,
    }
    assert channels == {"E-mail": "email", "WhatsApp": "whatsapp", "Not set": NOT_SET}


def test_breakdown_puts_most_answered_first_and_counts_invitations_without_answers(survey: Survey) -> None:
    ana, bruno, carla = (UserFactory.create(name=name) for name in ("Ana", "Bruno", "Carla"))
    scored(survey, CSAT, [5], agent=ana)
    scored(survey, CSAT, [4, 2], agent=bruno)
    invited(survey, agent=carla)

    rows = scores.breakdown(start=START, end=END, dimension="agent")

    assert [(row.label, row.summary.csat_answers, row.summary.sent) for row in rows] == [
        ("Bruno", 2, 2),
        ("Ana", 1, 1),
        ("Carla", 0, 1),
    ]
    assert rows[-1].summary.response_rate == 0.0


def test_breakdown_is_filtered(places: dict[str, Any]) -> None:
    rows = scores.breakdown(start=START, end=END, dimension="team", filters=Filters(channel="email"))

    assert [(row.label, row.summary.csat_answers) for row in rows] == [("Reservations", 1)]


def test_breakdown_takes_three_queries_whatever_the_number_of_agents(
    survey: Survey, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(12):
        scored(survey, CSAT, [n % 5 + 1], agent=UserFactory.create())

    with django_assert_max_num_queries(3):
        rows = scores.breakdown(start=START, end=END, dimension="agent")

    assert len(rows) == 12


def test_an_unknown_dimension_is_refused() -> None:
    with pytest.raises(ValidationError):
        scores.breakdown(start=START, end=END, dimension="colour")


# --- trends ----------------------------------------------------------------------------


def test_trend_by_week_has_every_week_of_the_period(survey: Survey) -> None:
    scored(survey, CSAT, [5, 1], at=datetime(2026, 10, 6, 10, tzinfo=UTC))  # week of Monday 5 October
    scored(survey, NPS, [10], at=datetime(2026, 10, 20, 10, tzinfo=UTC))  # week of 19 October

    points = scores.trend(start=START, end=END, bucket="week")

    assert [point.start for point in points] == [
        date(2026, 9, 28),
        date(2026, 10, 5),
        date(2026, 10, 12),
        date(2026, 10, 19),
        date(2026, 10, 26),
    ]
    assert [(point.summary.csat, point.summary.nps) for point in points] == [
        (None, None),
        (50.0, None),
        (None, None),
        (None, 100.0),
        (None, None),
    ]
    assert [point.summary.sent for point in points] == [0, 2, 0, 1, 0]


def test_trend_by_day_and_by_month(survey: Survey) -> None:
    scored(survey, CES, [7], at=datetime(2026, 10, 2, 23, 59, tzinfo=UTC))
    scored(survey, CES, [3], at=datetime(2026, 10, 3, 0, 0, tzinfo=UTC))

    days = scores.trend(start=START, end=datetime(2026, 10, 4, tzinfo=UTC), bucket="day")
    months = scores.trend(start=START, end=datetime(2027, 1, 1, tzinfo=UTC), bucket="month")

    assert [(point.start.day, point.summary.ces) for point in days] == [(1, None), (2, 7.0), (3, 3.0)]
    assert [(point.start, point.summary.ces) for point in months] == [
        (date(2026, 10, 1), 5.0),
        (date(2026, 11, 1), None),
        (date(2026, 12, 1), None),
    ]


def test_buckets_are_local_days_across_a_daylight_saving_change(survey: Survey) -> None:
    """Madrid leaves summer time on Sunday 25 October 2026: that night 23:30 UTC is already Monday
    00:30 local, a new week; 22:30 UTC is still Sunday."""
    scored(survey, CSAT, [5], at=datetime(2026, 10, 25, 22, 30, tzinfo=UTC))
    scored(survey, CSAT, [1], at=datetime(2026, 10, 25, 23, 30, tzinfo=UTC))
    madrid = ZoneInfo("Europe/Madrid")

    with timezone.override(madrid):
        points = scores.trend(
            start=datetime(2026, 10, 19, tzinfo=madrid), end=datetime(2026, 11, 2, tzinfo=madrid), bucket="week"
        )

    assert [(point.start, point.summary.csat) for point in points] == [
        (date(2026, 10, 19), 100.0),
        (date(2026, 10, 26), 0.0),
    ]


def test_trend_takes_two_queries(survey: Survey, django_assert_max_num_queries: DjangoAssertNumQueries) -> None:
    scored(survey, CSAT, [5], at=datetime(2026, 10, 6, tzinfo=UTC))

    with django_assert_max_num_queries(2):
        points = scores.trend(start=START - timedelta(days=365), end=END, bucket="week")

    assert len(points) == 57  # Monday 29 September 2025 to Monday 26 October 2026


def test_a_long_trend_by_day_is_split_into_a_few_statements(
    survey: Survey, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    """400 days by day are 2,000 SELECTs (3 kinds of score, 2 statuses): 4 statements of at most 500."""
    scored(survey, CSAT, [5, 1], at=datetime(2026, 10, 6, tzinfo=UTC))
    scored(survey, NPS, [10], at=START - timedelta(days=300))

    with django_assert_max_num_queries(5):
        points = scores.trend(start=END - timedelta(days=400), end=END, bucket="day")

    by_day = {point.start: point.summary for point in points}
    assert len(points) == 400
    assert (by_day[date(2026, 10, 6)].csat, by_day[date(2026, 10, 6)].sent) == (50.0, 2)
    assert by_day[(START - timedelta(days=300)).date()].nps == 100.0
    assert sum(point.summary.csat_answers for point in points) == 2


def test_an_unknown_bucket_is_refused() -> None:
    with pytest.raises(ValidationError):
        scores.trend(start=START, end=END, bucket="fortnight")


# --- the drill-down --------------------------------------------------------------------


def test_answers_come_newest_first_a_page_at_a_time(survey: Survey) -> None:
    rows = [scored(survey, CSAT, [n % 5 + 1], at=MID + timedelta(hours=n))[0] for n in range(5)]
    tied = scored(survey, CSAT, [2], at=MID + timedelta(hours=2))[0]  # the same instant as rows[2]

    pages, cursor = [], None
    while True:
        page = scores.answers(start=START, end=END, cursor=cursor, limit=2)
        pages.append([item.pk for item in page.items])
        cursor = page.next_cursor
        if cursor is None:
            break

    assert pages == [[rows[4].pk, rows[3].pk], [tied.pk, rows[2].pk], [rows[1].pk, rows[0].pk]]


def test_a_last_full_page_has_no_next_page(survey: Survey) -> None:
    scored(survey, CSAT, [5, 4])

    page = scores.answers(start=START, end=END, limit=2)

    assert (len(page.items), page.next_cursor) == (2, None)


def test_answers_narrowed_by_kind_score_band_and_filters(places: dict[str, Any], survey: Survey) -> None:
    promoters = scored(survey, NPS, [9, 10])
    scored(survey, NPS, [8, 0])

    def listed(**query: Any) -> set[int]:
        return {item.pk for item in scores.answers(start=START, end=END, **query).items}

    assert len(listed(kind=CSAT)) == 3
    assert listed(kind=NPS, score_min=9) == {answer.pk for answer in promoters}
    assert len(listed(kind=NPS, score_max=6)) == 1
    assert len(listed(kind=CSAT, score=5)) == 1
    assert len(listed(filters=Filters(agent_id=places["second"]["agent"].pk))) == 1
    assert len(listed(filters=Filters(agent_id=0))) == 5


def test_answers_narrowed_by_theme_sentiment_ideas_and_text(survey: Survey) -> None:
    slow = comment(survey, "The check-in was slow", themes=["slow_check_in"], sentiment="negative")
    both = comment(survey, "Slow check-in, no information", themes=["lack_of_information", "slow_check_in"])
    idea = comment(survey, "You could add a key box", themes=[], is_idea=True, sentiment="positive")
    scored(survey, CSAT, [5])

    def listed(**query: Any) -> set[int]:
        return {item.pk for item in scores.answers(start=START, end=END, **query).items}

    assert listed(theme="slow_check_in") == {slow.pk, both.pk}
    assert listed(theme="slow_check_in", sentiment="negative") == {slow.pk}
    assert listed(theme="slow") == set()  # a whole theme key, not a part of one
    assert listed(ideas=True) == {idea.pk}
    assert listed(text="KEY BOX") == {idea.pk}


def test_the_drill_down_takes_one_query(survey: Survey, django_assert_max_num_queries: DjangoAssertNumQueries) -> None:
    scored(survey, CSAT, [5, 4, 3])

    with django_assert_max_num_queries(1):
        page = scores.answers(start=START, end=END, limit=2)
        [(item.contact.name, item.survey.name, item.invitation.ticket_id) for item in page.items]


def test_each_answer_comes_with_the_comment_given_beside_it(
    survey: Survey, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    invitation = invited(survey, answered=True)
    score = answer(invitation, NPS, 2, now=MID)
    written = answer(invitation, COMMENT, None, now=MID, comment="Nobody answered the phone")
    silent = scored(survey, NPS, [10])[0]
    page = scores.answers(start=START, end=END)

    with django_assert_max_num_queries(1):
        found = scores.comments_of(page.items)

    assert found == {score.pk: written, written.pk: written}
    assert silent.pk not in found


def test_a_damaged_cursor_is_refused() -> None:
    with pytest.raises(ValidationError):
        scores.answers(start=START, end=END, cursor="not-a-cursor")


# --- the public score ------------------------------------------------------------------


def test_public_csat_covers_the_last_90_days(survey: Survey) -> None:
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    scored(survey, CSAT, [5, 4, 2], at=now - timedelta(days=89))
    scored(survey, CSAT, [1, 1], at=now - timedelta(days=91))
    scored(survey, NPS, [0], at=now - timedelta(days=1))

    score = scores.public_csat(now=now)

    assert (score.csat, score.answers) == (66.7, 3)
    assert (score.start, score.end) == (now - timedelta(days=90), now)


# --- comments --------------------------------------------------------------------------


def test_themes_are_counted_with_their_negative_share(survey: Survey) -> None:
    comment(survey, "Slow", themes=["slow_check_in"], sentiment="negative")
    comment(survey, "Slow again", themes=["slow_check_in"], sentiment="negative")
    comment(survey, "Slow but nice", themes=["slow_check_in", "friendly_staff"], sentiment="positive")
    comment(survey, "Nice", themes=["friendly_staff"], sentiment="positive")
    comment(survey, "No info", themes=["lack_of_information"], sentiment="negative")
    comment(survey, "Last month", themes=["lack_of_information"], at=START - timedelta(days=1))

    found = scores.themes(start=START, end=END)

    assert [(item.key, item.count, item.negative) for item in found] == [
        ("slow_check_in", 3, 2),
        ("friendly_staff", 2, 0),
        ("lack_of_information", 1, 1),
    ]
    assert found[0].label == str(_theme_label("slow_check_in"))
    assert len(scores.themes(start=START, end=END, limit=2)) == 2


def test_themes_take_one_query(survey: Survey, django_assert_max_num_queries: DjangoAssertNumQueries) -> None:
    comment(survey, "Slow", themes=["slow_check_in"])

    with django_assert_max_num_queries(1):
        scores.themes(start=START, end=END)


def test_themes_over_time(survey: Survey) -> None:
    comment(survey, "Slow", themes=["slow_check_in"], at=datetime(2026, 10, 6, tzinfo=UTC))
    comment(survey, "Slow", themes=["slow_check_in"], at=datetime(2026, 10, 7, tzinfo=UTC))
    comment(survey, "No info", themes=["lack_of_information"], at=datetime(2026, 10, 20, tzinfo=UTC))

    weeks = scores.themes_over_time(start=START, end=END, bucket="week")

    assert [week for week, _counts in weeks] == [
        date(2026, 9, 28),
        date(2026, 10, 5),
        date(2026, 10, 12),
        date(2026, 10, 19),
        date(2026, 10, 26),
    ]
    assert [(counts["slow_check_in"], counts["lack_of_information"]) for _week, counts in weeks] == [
        (0, 0),
        (2, 0),
        (0, 0),
        (0, 1),
        (0, 0),
    ]


def test_recurring_phrases_of_one_language(survey: Survey) -> None:
    for n in range(4):
        comment(survey, f"El wifi no funciona en la habitación {n}", themes=[], language="es")
    comment(survey, "The wifi does not work", themes=[], language="en")

    spanish = dict(scores.phrases(start=START, end=END, language="es"))
    lithuanian = scores.phrases(start=START, end=END, language="lt")

    assert any("wifi" in phrase and count == 4 for phrase, count in spanish.items()), spanish
    assert lithuanian == []


def _theme_label(key: str) -> object:
    from frontdesk.surveys import text

    return text.THEMES[key].label


# --- the rollup ------------------------------------------------------------------------
#
# Summaries and breakdowns read the whole UTC months of their period from MonthFigures (every
# dimension's values and every pair's), which triggers keep on every write to answers and
# invitations, and the days around them from the rows. Whatever the writes (answers given,
# changed, moved, deleted; invitations sent, answered, re-dimensioned, deleted; a team deleted
# from under them), the figures are those of the rows.

BASE = datetime(2026, 9, 20, tzinfo=UTC)
MINUTES = 75 * 24 * 60  # the writes fall in the 75 days from BASE: two whole months and parts of two
SCORED = (CSAT, NPS, CES)

# Invitations as made: (dimensions, status, minutes after BASE, answers: (kind, score, minutes after)).
made = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.sampled_from(["sent", "answered", "scheduled"]),
        st.integers(0, MINUTES),
        st.lists(
            st.tuples(st.sampled_from([CSAT, NPS, CES, YES_NO, COMMENT]), st.integers(0, 10), st.integers(0, 24 * 60)),
            max_size=5,
        ),
    ),
    min_size=1,
    max_size=12,
)
# Then changed: the numbers pick an answer or an invitation (modulo how many there are).
changes = st.lists(
    st.one_of(
        st.tuples(st.just("rescore"), st.integers(0, 60), st.integers(0, 10)),
        st.tuples(st.just("move"), st.integers(0, 60), st.integers(0, MINUTES)),
        st.tuples(st.just("answer again"), st.integers(0, 60), st.integers(0, 10), st.integers(0, MINUTES)),
        st.tuples(st.just("redimension"), st.integers(0, 60), st.integers(0, 3)),
        st.tuples(st.just("mark answered"), st.integers(0, 60)),
        st.tuples(st.just("delete answer"), st.integers(0, 60)),
        st.tuples(st.just("delete invitation"), st.integers(0, 60)),
        st.tuples(st.just("delete team"), st.integers(0, 1)),
    ),
    max_size=15,
)


def _places() -> list[dict[str, Any]]:
    """Four sets of dimensions: two full ones, an empty one, a mixed one."""
    agents, teams = UserFactory.create_batch(2), TeamFactory.create_batch(2)
    organisations = OrganisationFactory.create_batch(2)
    return [
        {"agent": agents[0], "team": teams[0], "organisation": organisations[0], "channel": "email",
         "region": "Andalucía", "product": "PMS", "booking_stage": "in_stay"},
        {"agent": agents[1], "team": teams[1], "organisation": organisations[1], "channel": "whatsapp",
         "region": "Vilnius", "product": "Spa", "booking_stage": "pre_booking"},
        {},
        {"agent": agents[0], "team": teams[1], "channel": "email", "product": "PMS"},
    ]  # fmt: skip


def _answered(invitation: Invitation, kind: str, score: int, at: datetime) -> None:
    """An answer of the kind given (or given again: the row updated), with the invitation's dimensions."""
    question = invitation.survey.questions.get(kind=kind)
    dimensions = ("agent", "team", "organisation", "channel", "region", "product", "booking_stage")
    Answer.objects.update_or_create(
        invitation=invitation,
        question=question,
        defaults={
            "survey": invitation.survey,
            "kind": kind,
            "score": None if kind == COMMENT else score,
            "comment": "Fine" if kind == COMMENT else "",
            "answered_at": at,
            "contact": invitation.contact,
            **{name: getattr(invitation, name) for name in dimensions},
        },
    )


def _make(invitations: list[tuple[Any, ...]], surveys: list[Survey], places: list[dict[str, Any]]) -> None:
    for n, (place, status, minutes, given_answers) in enumerate(invitations):
        at = BASE + timedelta(minutes=minutes)
        invitation = sent_invitation(surveys[n % 2], now=at, **places[place])
        if status == "scheduled":
            Invitation.objects.filter(pk=invitation.pk).update(status=InvitationStatus.SCHEDULED, sent_at=None)
            continue
        for kind, score, later in given_answers:
            _answered(invitation, kind, score, at + timedelta(minutes=later))
        if status == "answered":
            Invitation.objects.filter(pk=invitation.pk).update(status=InvitationStatus.ANSWERED, answered_at=at)


def _change(step: tuple[Any, ...], places: list[dict[str, Any]]) -> None:
    invitations = list(Invitation.objects.order_by("pk"))
    answers = list(Answer.objects.order_by("pk"))
    kind, *args = step
    answer = answers[args[0] % len(answers)] if answers and kind != "delete team" else None
    invitation = invitations[args[0] % len(invitations)] if invitations and kind != "delete team" else None
    if kind == "rescore" and answer is not None:
        Answer.objects.filter(pk=answer.pk, score__isnull=False).update(score=args[1])
    elif kind == "move" and answer is not None:
        Answer.objects.filter(pk=answer.pk).update(answered_at=BASE + timedelta(minutes=args[1]))
    elif kind == "answer again" and answer is not None:
        _answered(answer.invitation, answer.kind, args[1], BASE + timedelta(minutes=args[2]))
    elif kind == "redimension" and invitation is not None:
        changed = {"channel": places[args[1]].get("channel", ""), "product": places[args[1]].get("product", "")}
        Invitation.objects.filter(pk=invitation.pk).update(**changed)
        Answer.objects.filter(invitation=invitation).update(**changed)
    elif kind == "mark answered" and invitation is not None:
        Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=False).update(status=InvitationStatus.ANSWERED)
    elif kind == "delete answer" and answer is not None:
        answer.delete()
    elif kind == "delete invitation" and invitation is not None:
        invitation.delete()  # its answers go with it
    elif kind == "delete team" and places[args[0]].get("team") is not None:
        team = places[args[0]]["team"]
        Team.objects.filter(pk=team.pk).delete()  # its answers and invitations keep no team
        for place in places:
            if place.get("team") == team:
                del place["team"]


def _expected(
    start: datetime, end: datetime, dimension: str | None, where: dict[str, str] | None = None
) -> dict[str, Summary]:
    """The figures, per value of the dimension (None: all together under ""), of the rows whose
    dimensions have the keys `where` says, computed in Python from the rows."""
    where = where or {}
    column = scores.COLUMNS[dimension] if dimension else "survey_id"
    columns = {column, *(scores.COLUMNS[name] for name in where)}
    counts: dict[str, dict[str, int]] = {}

    def key_of(value: object) -> str:
        return NOT_SET if value is None or value == "" else str(value)

    def own(row: dict[str, Any]) -> dict[str, int] | None:
        if any(key_of(row[scores.COLUMNS[name]]) != key for name, key in where.items()):
            return None
        return counts.setdefault(key_of(row[column]) if dimension else "", dict.fromkeys(scores.FIGURES, 0))

    scored_rows = Answer.objects.filter(answered_at__gte=start, answered_at__lt=end, kind__in=SCORED)
    for row in scored_rows.exclude(score=None).values(*columns, "kind", "score"):
        figures, score = own(row), row["score"]
        if figures is None:
            continue
        prefix = {CSAT: "csat", NPS: "nps", CES: "ces"}[row["kind"]]
        figures[f"{prefix}_answers"] += 1
        figures["csat_satisfied"] += row["kind"] == CSAT and score >= 4
        figures["promoters"] += row["kind"] == NPS and score >= 9
        figures["detractors"] += row["kind"] == NPS and score <= 6
        figures["ces_total"] += score if row["kind"] == CES else 0
    statuses = [InvitationStatus.SENT, InvitationStatus.ANSWERED]
    sent = Invitation.objects.filter(sent_at__gte=start, sent_at__lt=end, status__in=statuses)
    for row in sent.values(*columns, "status"):
        figures = own(row)
        if figures is None:
            continue
        figures["sent"] += 1
        figures["answered"] += row["status"] == InvitationStatus.ANSWERED
    return {key: _summary_of(figures) for key, figures in counts.items()}


NOTHING = dict.fromkeys(scores.FIGURES, 0)


def _summary_of(f: dict[str, int]) -> Summary:
    """The industry's definitions, as the tests above state them."""
    return Summary(
        csat=round(100 * f["csat_satisfied"] / f["csat_answers"], 1) if f["csat_answers"] else None,
        csat_answers=f["csat_answers"],
        nps=round(100 * (f["promoters"] - f["detractors"]) / f["nps_answers"], 1) if f["nps_answers"] else None,
        nps_answers=f["nps_answers"],
        promoters=f["promoters"],
        passives=f["nps_answers"] - f["promoters"] - f["detractors"],
        detractors=f["detractors"],
        ces=round(f["ces_total"] / f["ces_answers"], 2) if f["ces_answers"] else None,
        ces_answers=f["ces_answers"],
        sent=f["sent"],
        answered=f["answered"],
        response_rate=round(100 * f["answered"] / f["sent"], 1) if f["sent"] else None,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(invitations=made, steps=changes, first=st.integers(-24 * 60, MINUTES), length=st.integers(0, MINUTES + 2880))
def test_figures_stay_those_of_the_rows_whatever_the_writes(
    invitations: list[tuple[Any, ...]], steps: list[tuple[Any, ...]], first: int, length: int
) -> None:
    Invitation.objects.all().delete()  # the previous example's rows, and their counts in the rollup
    surveys = [SurveyFactory.create() for _n in range(2)]
    for made in surveys:
        for position, kind in enumerate((CSAT, NPS, CES, YES_NO, COMMENT)):
            question_of(made, kind, position)
    places = _places()
    _make(invitations, surveys, places)
    for step in steps:
        _change(step, places)
    start = BASE + timedelta(minutes=first)
    end = start + timedelta(minutes=length)

    def narrowed(**keys: str) -> Filters:
        filters = Filters()
        for name, key in keys.items():
            filters = scores.narrowed(filters, name, key)
        return filters

    assert scores.summary(start=start, end=end) == _expected(start, end, None).get("", _summary_of(NOTHING))
    names = list(scores.DIMENSIONS)
    for dimension, other, third in zip(names, names[1:] + names[:1], names[2:] + names[:2], strict=True):
        expected = _expected(start, end, dimension)
        rows = scores.breakdown(start=start, end=end, dimension=dimension)
        assert {row.key: row.summary for row in rows} == expected, dimension
        for key, summary in expected.items():  # one dimension's value: the rollup's single values
            assert scores.summary(start=start, end=end, filters=narrowed(**{dimension: key})) == summary
        for key in list(_expected(start, end, other))[:2]:  # filtered by another: the rollup's pairs
            where = {other: key}
            rows = scores.breakdown(start=start, end=end, dimension=dimension, filters=narrowed(**where))
            assert {row.key: row.summary for row in rows} == _expected(start, end, dimension, where), where
            for value, summary in list(_expected(start, end, dimension, where).items())[:2]:
                both = narrowed(**where, **{dimension: value})
                assert scores.summary(start=start, end=end, filters=both) == summary, (where, dimension, value)
                for third_key in list(_expected(start, end, third, {**where, dimension: value}))[:1]:
                    three = {**where, dimension: value, third: third_key}  # three dimensions: the rows
                    found = scores.summary(start=start, end=end, filters=narrowed(**three))
                    assert found == _expected(start, end, None, three).get("", _summary_of(NOTHING)), three


def _reads(queries: CaptureQueriesContext) -> set[str]:
    tables = ("surveys_monthfigures", "surveys_answer", "surveys_invitation")
    return {table for query in queries.captured_queries for table in tables if f'"{table}"' in query["sql"]}


def test_whole_months_are_read_from_the_rollup_and_the_days_around_them_from_the_rows(survey: Survey) -> None:
    scored(survey, CSAT, [5, 1], at=MID)
    scored(survey, CSAT, [4], at=START - timedelta(days=2))

    with CaptureQueriesContext(connection) as whole_month:
        month = scores.breakdown(start=START, end=END, dimension="agent")
    with CaptureQueriesContext(connection) as with_days:
        around = scores.breakdown(start=START - timedelta(days=5), end=END + timedelta(hours=5), dimension="agent")
    with CaptureQueriesContext(connection) as within:
        part = scores.breakdown(start=START + timedelta(days=1), end=END, dimension="agent")

    assert [row.summary.csat_answers for row in month] == [row.summary.csat_answers for row in part] == [2]
    assert [row.summary.csat_answers for row in around] == [3]
    assert _reads(whole_month) == {"surveys_monthfigures"}
    assert _reads(with_days) == {"surveys_monthfigures", "surveys_answer", "surveys_invitation"}
    reading = [query for query in with_days.captured_queries if '"surveys_' in query["sql"]]
    assert len(reading) == 1  # rollup and rows in one statement
    assert _reads(within) == {"surveys_answer", "surveys_invitation"}  # no whole month in it


def test_two_dimensions_are_read_from_the_rollups_pairs_and_three_from_the_rows(places: dict[str, Any]) -> None:
    first = places["first"]

    with CaptureQueriesContext(connection) as two:
        rows = scores.breakdown(start=START, end=END, dimension="agent", filters=Filters(channel="whatsapp"))
        by_team = scores.breakdown(start=START, end=END, dimension="team", filters=Filters(agent_id=first["agent"].pk))
    with CaptureQueriesContext(connection) as three:
        narrowed = Filters(agent_id=first["agent"].pk, channel="email")
        (row,) = scores.breakdown(start=START, end=END, dimension="team", filters=narrowed)

    assert [(row.label, row.summary.csat) for row in rows] == [("Bruno", 0.0)]
    assert [(row.label, row.summary.csat) for row in by_team] == [("Reservations", 100.0)]
    assert (row.label, row.summary.csat) == ("Reservations", 100.0)
    assert _reads(two) == {"surveys_monthfigures"}
    assert _reads(three) == {"surveys_answer", "surveys_invitation"}
