"""Survey scores (surveys.scores): the industry's definitions on small hand-made data, every
breakdown, buckets, the drill-down's pages, the public score and the themes."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.tests.factories import OrganisationFactory, TeamFactory, UserFactory
from frontdesk.core.errors import ValidationError
from frontdesk.surveys import scores
from frontdesk.surveys.models import Answer, Invitation, InvitationStatus, QuestionKind, Survey
from frontdesk.surveys.scores import NOT_SET, Filters, Summary
from frontdesk.surveys.tests.factories import SurveyFactory, answer, sent_invitation

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
    """400 days by day are 1,200 score SELECTs and 800 invitation ones: 3 + 2 statements of at most 500."""
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
