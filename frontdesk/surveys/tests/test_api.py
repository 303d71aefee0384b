"""The surveys REST API: the programme, surveys, invitations, opt-outs, follow-ups and scores.

Agents read the survey settings, see the follow-ups they or their teams own and opt contacts
out; supervisors and admins change surveys, send milestone surveys, read invitations and
scores; light agents see none of it, and nobody without a token. Refused input names its field
and changes nothing.
"""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Role, Team, User
from frontdesk.accounts.tests.factories import ContactFactory, OrganisationFactory, TeamFactory, UserFactory
from frontdesk.api.tests.factories import api_client
from frontdesk.surveys.models import (
    Answer,
    FollowUp,
    FollowUpLevel,
    FollowUpStatus,
    Invitation,
    InvitationStatus,
    OptOut,
    Programme,
    Question,
    QuestionKind,
    Survey,
    Trigger,
)
from frontdesk.surveys.services import invitation_schedule, programme
from frontdesk.surveys.tests.factories import SurveyFactory, answer, csat_survey, question, sent_invitation
from frontdesk.tickets.tests.factories import NOW

pytestmark = pytest.mark.django_db

JSON = "application/json"
SURVEYS, FOLLOW_UPS = "/api/v1/surveys", "/api/v1/follow-ups"
PROGRAMME = "/api/v1/surveys/programme"


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    """Endpoints read the clock: it stands at NOW."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def supervisor() -> User:
    return UserFactory.create(role=Role.SUPERVISOR)


@pytest.fixture
def api(supervisor: User) -> Client:
    """The supervisor's API client."""
    return api_client(supervisor)


@pytest.fixture
def agent() -> User:
    return UserFactory.create(role=Role.AGENT)


@pytest.fixture
def agent_api(agent: User) -> Client:
    return api_client(agent)


@pytest.fixture
def light_api() -> Client:
    return api_client(UserFactory.create(role=Role.LIGHT_AGENT))


def error(response: Any) -> tuple[int, str | None]:
    return response.status_code, response.json()["error"]["field"]


def survey_body(**fields: Any) -> dict[str, Any]:
    return {
        "name": "After a ticket",
        "trigger": "ticket_solved",
        "questions": [{"kind": "csat"}, {"kind": "yes_no", "topic": "solved"}, {"kind": "comment"}],
        **fields,
    }


def milestone_survey(**fields: Any) -> Survey:
    survey = SurveyFactory.create(trigger=Trigger.MILESTONE, **fields)
    question(survey, QuestionKind.NPS)
    return survey


def follow_up(
    survey: Survey,
    *,
    owner: User | None = None,
    team: Team | None = None,
    due_at: Any = NOW + timedelta(days=2),
    score: int = 1,
    **fields: Any,
) -> FollowUp:
    """A dissatisfied CSAT answer's follow-up, as the closed loop opens it."""
    invitation = sent_invitation(survey, team=team)
    found = answer(invitation, QuestionKind.CSAT, score)
    return FollowUp.objects.create(
        invitation=invitation,
        answer=found,
        level=FollowUpLevel.DISSATISFIED,
        team=team,
        owner=owner,
        due_at=due_at,
        created_at=NOW,
        **fields,
    )


def ids(response: Any) -> list[int]:
    return [item["id"] for item in response.json()["items"]]


# --- the programme -------------------------------------------------------------------------


def test_agents_read_the_programme_and_supervisors_change_it(api: Client, agent_api: Client) -> None:
    read = agent_api.get(PROGRAMME)
    changed = api.patch(PROGRAMME, {"public_score": True}, JSON)

    assert read.status_code == 200
    assert read.json() == {"throttle_days": 30, "public_score": False, "updated_at": None}
    assert changed.json() == {"throttle_days": 30, "public_score": True, "updated_at": "2026-11-02T09:00:00Z"}
    assert (programme().throttle_days, programme().public_score) == (30, True)


def test_only_supervisors_and_admins_change_the_programme(agent_api: Client, light_api: Client) -> None:
    admin_api = api_client(UserFactory.create(role=Role.ADMIN))

    refused = agent_api.patch(PROGRAMME, {"throttle_days": 1}, JSON)
    light = light_api.get(PROGRAMME)
    anonymous = Client().get(PROGRAMME)
    changed = admin_api.patch(PROGRAMME, {"throttle_days": 60}, JSON)

    assert (refused.status_code, light.status_code, anonymous.status_code, changed.status_code) == (403, 403, 401, 200)
    assert Programme.objects.get().throttle_days == 60


@pytest.mark.parametrize(
    "body", [{"throttle_days": 366}, {"throttle_days": -1}, {"throttle_days": None}, {"throttle_days": "often"}]
)
def test_a_programme_change_out_of_range_is_refused_and_changes_nothing(api: Client, body: dict[str, Any]) -> None:
    response = api.patch(PROGRAMME, {"public_score": True, **body}, JSON)

    assert error(response) == (422, "throttle_days")
    assert (programme().throttle_days, programme().public_score) == (30, False)


# --- surveys -------------------------------------------------------------------------------


def test_supervisor_creates_a_survey_with_its_questions(api: Client) -> None:
    response = api.post(
        SURVEYS,
        survey_body(
            intro={"es": "Gracias por escribirnos."},
            channels=["email", "chat"],
            delay_minutes=60,
            questions=[
                {"kind": "csat", "text": {"es": "¿Qué tal le atendimos?"}},
                {"kind": "yes_no", "topic": "solved", "alert_at_most": None},
                {"kind": "choice", "text": {"en": "Where did you book?"}, "choices": {"en": ["Web", "Phone"]}},
            ],
        ),
        JSON,
    )

    survey = Survey.objects.get()
    questions = list(survey.questions.all())
    assert response.status_code == 201
    assert response.json() == {
        "id": survey.pk,
        "name": "After a ticket",
        "kind": "transactional",
        "is_active": True,
        "intro": {"es": "Gracias por escribirnos."},
        "trigger": "ticket_solved",
        "channels": ["chat", "email"],
        "delay_minutes": 60,
        "organisations": [],
        "every_months": 3,
        "contacts_per_organisation": 5,
        "next_round_at": None,
        "reminder_after_hours": 72,
        "reminders": 1,
        "followup_team": None,
        "followup_days": 2,
        "satisfied_followup": True,
        "satisfied_followup_days": 14,
        "questions": [
            {
                "id": questions[0].pk,
                "position": 0,
                "kind": "csat",
                "topic": "",
                "text": {"es": "¿Qué tal le atendimos?"},
                "choices": {},
                "alert_at_most": 2,
                "satisfied_at_most": 4,
            },
            {
                "id": questions[1].pk,
                "position": 1,
                "kind": "yes_no",
                "topic": "solved",
                "text": {},
                "choices": {},
                "alert_at_most": None,
                "satisfied_at_most": None,
            },
            {
                "id": questions[2].pk,
                "position": 2,
                "kind": "choice",
                "topic": "",
                "text": {"en": "Where did you book?"},
                "choices": {"en": ["Web", "Phone"]},
                "alert_at_most": None,
                "satisfied_at_most": None,
            },
        ],
        "created_at": "2026-11-02T09:00:00Z",
        "updated_at": "2026-11-02T09:00:00Z",
    }


def test_a_relationship_survey_names_its_organisations_and_business_unit(api: Client) -> None:
    hotels, flats = OrganisationFactory.create(), OrganisationFactory.create()
    unit = TeamFactory.create(name="Key accounts")

    response = api.post(
        SURVEYS,
        survey_body(
            name="Quarterly",
            kind="relationship",
            organisations=[hotels.pk, flats.pk, hotels.pk],
            followup_team=unit.pk,
            next_round_at="2027-01-04T08:00:00+01:00",
            questions=[{"kind": "nps"}, {"kind": "csat", "topic": "response_time"}],
        ),
        JSON,
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["trigger"], sorted(body["organisations"]), body["followup_team"]) == (
        "",
        sorted([hotels.pk, flats.pk]),
        {"id": unit.pk, "name": "Key accounts"},
    )
    assert body["next_round_at"] == "2027-01-04T07:00:00Z"
    assert set(Survey.objects.get().organisations.all()) == {hotels, flats}


def test_any_agent_reads_the_surveys(agent_api: Client) -> None:
    survey = csat_survey(name="After a ticket")

    listed = agent_api.get(SURVEYS)
    read = agent_api.get(f"{SURVEYS}/{survey.pk}")

    assert listed.status_code == read.status_code == 200
    assert listed.json() == [read.json()]
    assert [q["kind"] for q in read.json()["questions"]] == ["csat", "yes_no", "comment"]


@pytest.mark.parametrize("surveys", [1, 6])
def test_survey_list_runs_a_fixed_number_of_queries(
    agent_api: Client, surveys: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for _ in range(surveys):
        csat_survey(followup_team=TeamFactory.create()).organisations.add(OrganisationFactory.create())

    # token and its last use, surveys with their business units, questions, organisations
    with django_assert_max_num_queries(5):
        response = agent_api.get(SURVEYS)

    assert len(response.json()) == surveys


@pytest.mark.parametrize("questions", [1, 6])
def test_a_survey_runs_a_fixed_number_of_queries(
    agent_api: Client, questions: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    survey = SurveyFactory.create(followup_team=TeamFactory.create())
    for position in range(questions):
        question(survey, QuestionKind.CSAT, position)
    survey.organisations.add(OrganisationFactory.create(), OrganisationFactory.create())

    # token and its last use, the survey with its business unit, questions, organisations
    with django_assert_max_num_queries(5):
        response = agent_api.get(f"{SURVEYS}/{survey.pk}")

    assert len(response.json()["questions"]) == questions


def test_supervisor_replaces_a_survey_and_answers_keep_their_question(api: Client) -> None:
    survey = csat_survey(name="Old")
    csat = survey.questions.get(kind=QuestionKind.CSAT)
    answer(sent_invitation(survey), QuestionKind.CSAT, 5)

    response = api.put(
        f"{SURVEYS}/{survey.pk}",
        survey_body(name="New", is_active=False, questions=[{"kind": "csat", "alert_at_most": 1}, {"kind": "nps"}]),
        JSON,
    )

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["is_active"]) == ("New", False)
    assert list(survey.questions.values_list("pk", "kind", "alert_at_most")) == [
        (csat.pk, "csat", 1),
        (response.json()["questions"][1]["id"], "nps", 6),
    ]
    assert csat.answers.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"kind": "weekly"}, "kind"),
        ({"trigger": ""}, "trigger"),
        ({"trigger": "moon_phase"}, "trigger"),
        ({"channels": ["pigeon"]}, "channels"),
        ({"kind": "relationship", "organisations": []}, "organisations"),
        ({"kind": "relationship", "organisations": [424242]}, "organisations"),
        ({"kind": "relationship", "organisations": [0]}, "organisations"),
        ({"followup_team": 424242}, "followup_team"),
        ({"delay_minutes": 60 * 24 * 31}, "delay_minutes"),
        ({"delay_minutes": -1}, "delay_minutes"),
        ({"reminders": 4}, "reminders"),
        ({"followup_days": 0}, "followup_days"),
        ({"every_months": 2**31}, "every_months"),
        ({"next_round_at": "2027-01-04T08:00:00"}, "next_round_at"),
        ({"questions": []}, "questions"),
        ({"questions": [{"kind": "csat"}] * 21}, "questions"),
        ({"questions": [{"kind": "stars"}]}, "questions.kind"),
        ({"questions": [{"kind": "csat", "topic": "weather"}]}, "questions.topic"),
        ({"questions": [{"kind": "csat", "alert_at_most": 9}]}, "questions.0"),
        ({"questions": [{"kind": "csat", "text": {"fr": "Alors ?"}}]}, "questions.0"),
        ({"questions": [{"kind": "choice", "text": {"en": "Which?"}, "choices": {"en": ["Only one"]}}]}, "questions.0"),
    ],
)
def test_a_survey_that_cannot_work_is_refused_naming_the_field_and_changes_nothing(
    api: Client, fields: dict[str, Any], field: str
) -> None:
    survey = csat_survey(name="Kept")

    created = api.post(SURVEYS, survey_body(**fields), JSON)
    changed = api.put(f"{SURVEYS}/{survey.pk}", survey_body(**fields), JSON)

    assert error(created) == error(changed) == (422, field)
    assert list(Survey.objects.values_list("name", "trigger", "is_active")) == [("Kept", "ticket_solved", True)]
    assert list(Question.objects.values_list("kind", flat=True)) == ["csat", "yes_no", "comment"]


def test_a_survey_name_in_use_is_a_conflict(api: Client) -> None:
    csat_survey(name="After a ticket")

    response = api.post(SURVEYS, survey_body(name="after a TICKET"), JSON)

    assert error(response) == (409, "name")
    assert Survey.objects.count() == 1


def test_supervisor_deletes_a_survey_unless_someone_answered_it(api: Client) -> None:
    answered, unanswered = csat_survey(), csat_survey()
    answer(sent_invitation(answered), QuestionKind.CSAT, 4)

    refused = api.delete(f"{SURVEYS}/{answered.pk}")
    deleted = api.delete(f"{SURVEYS}/{unanswered.pk}")

    assert (refused.status_code, deleted.status_code) == (409, 204)
    assert list(Survey.objects.values_list("pk", flat=True)) == [answered.pk]


def test_agents_may_not_change_surveys_and_light_agents_may_not_see_them(agent_api: Client, light_api: Client) -> None:
    survey = csat_survey(name="Kept")

    responses = [
        agent_api.post(SURVEYS, survey_body(name="New"), JSON),
        agent_api.put(f"{SURVEYS}/{survey.pk}", survey_body(name="Changed"), JSON),
        agent_api.delete(f"{SURVEYS}/{survey.pk}"),
        light_api.get(SURVEYS),
        light_api.get(f"{SURVEYS}/{survey.pk}"),
    ]
    anonymous = [Client().get(SURVEYS), Client().post(SURVEYS, survey_body(), JSON)]

    assert [response.status_code for response in responses] == [403] * 5
    assert [response.status_code for response in anonymous] == [401] * 2
    assert list(Survey.objects.values_list("name", flat=True)) == ["Kept"]


def test_an_unknown_survey_is_404(api: Client) -> None:
    assert api.get(f"{SURVEYS}/424242").status_code == 404
    assert api.put(f"{SURVEYS}/424242", survey_body(), JSON).status_code == 404
    assert api.delete(f"{SURVEYS}/424242").status_code == 404
    assert api.get(f"{SURVEYS}/424242/invitations").status_code == 404


# --- invitations ---------------------------------------------------------------------------


def test_a_milestone_surveys_a_contact_once_per_occasion(api: Client) -> None:
    survey = milestone_survey(name="Implementation")
    contact = ContactFactory.create(name="Rūta", language="lt")
    url = f"{SURVEYS}/{survey.pk}/invitations"

    first = api.post(url, {"contact": contact.pk, "occasion": "Go-live"}, JSON)
    again = api.post(url, {"contact": contact.pk, "occasion": "Go-live"}, JSON)
    next_one = api.post(url, {"contact": contact.pk, "occasion": "First month"}, JSON)

    assert (first.status_code, next_one.status_code) == (201, 201)
    assert error(again) == (409, "occasion")
    body = first.json()
    assert (body["survey"], body["contact"], body["occasion"], body["language"], body["status"]) == (
        {"id": survey.pk, "name": "Implementation"},
        {"id": contact.pk, "name": "Rūta"},
        "Go-live",
        "lt",
        "scheduled",
    )
    assert body["send_at"] == "2026-11-02T09:00:00Z"
    assert sorted(Invitation.objects.values_list("occasion", flat=True)) == ["First month", "Go-live"]


@pytest.mark.parametrize(
    ("milestone", "body", "field"),
    [
        (False, {"occasion": "Go-live"}, "survey"),
        (True, {"occasion": "  "}, "occasion"),
        (True, {"occasion": "x" * 101}, "occasion"),
        (True, {"occasion": "Go-live", "contact": 424242}, "contact"),
        (True, {"contact": None}, "contact"),
    ],
)
def test_a_milestone_that_cannot_be_sent_is_refused_and_changes_nothing(
    api: Client, milestone: bool, body: dict[str, Any], field: str
) -> None:
    survey = milestone_survey() if milestone else csat_survey()

    response = api.post(f"{SURVEYS}/{survey.pk}/invitations", {"contact": ContactFactory.create().pk, **body}, JSON)

    assert error(response) == (422, field)
    assert not Invitation.objects.exists()


def test_an_inactive_milestone_survey_is_a_conflict(api: Client) -> None:
    survey = milestone_survey(is_active=False)

    response = api.post(
        f"{SURVEYS}/{survey.pk}/invitations", {"contact": ContactFactory.create().pk, "occasion": "Go-live"}, JSON
    )

    assert error(response) == (409, "survey")
    assert not Invitation.objects.exists()


def test_agents_may_neither_send_milestones_nor_read_invitations(agent_api: Client, light_api: Client) -> None:
    survey = milestone_survey()
    invitation = sent_invitation(survey)

    responses = [
        agent_api.post(
            f"{SURVEYS}/{survey.pk}/invitations", {"contact": invitation.contact_id, "occasion": "Go-live"}, JSON
        ),
        agent_api.get(f"{SURVEYS}/{survey.pk}/invitations"),
        agent_api.get(f"/api/v1/survey-invitations/{invitation.pk}"),
        light_api.get(f"/api/v1/survey-invitations/{invitation.pk}"),
    ]

    assert [response.status_code for response in responses] == [403] * 4
    assert Client().get(f"/api/v1/survey-invitations/{invitation.pk}").status_code == 401
    assert Invitation.objects.count() == 1


def test_invitations_are_paged_newest_first_and_filtered_by_status(api: Client) -> None:
    survey, other = csat_survey(), csat_survey()
    made = [sent_invitation(survey, now=NOW - timedelta(hours=hour)) for hour in (3, 1, 1, 2)]
    throttled = sent_invitation(survey)
    Invitation.objects.filter(pk=throttled.pk).update(
        status=InvitationStatus.THROTTLED, reason="Surveyed on 2026-10-20.", sent_at=None
    )
    sent_invitation(other)
    url = f"{SURVEYS}/{survey.pk}/invitations"

    first = api.get(url, {"limit": 2})
    second = api.get(url, {"limit": 2, "cursor": first.json()["next_cursor"]})
    third = api.get(url, {"limit": 2, "cursor": second.json()["next_cursor"]})
    only_throttled = api.get(url, {"status": "throttled"})

    assert ids(first) + ids(second) + ids(third) == [throttled.pk, made[2].pk, made[1].pk, made[3].pk, made[0].pk]
    assert third.json()["next_cursor"] is None
    assert [(item["status"], item["reason"]) for item in only_throttled.json()["items"]] == [
        ("throttled", "Surveyed on 2026-10-20.")
    ]


def test_a_broken_invitation_cursor_names_the_cursor(api: Client) -> None:
    survey = csat_survey()

    responses = [
        api.get(f"{SURVEYS}/{survey.pk}/invitations", {"cursor": "not-a-cursor"}),
        api.get(f"{SURVEYS}/{survey.pk}/invitations", {"cursor": "MjAyNi0xMS0wMlQwOTowMDowMHwx"}),  # naive time
        api.get(f"{SURVEYS}/{survey.pk}/invitations", {"status": "lost"}),
    ]

    assert [error(response) for response in responses] == [(422, "cursor"), (422, "cursor"), (422, "status")]


@pytest.mark.parametrize("invitations", [1, 8])
def test_invitation_list_runs_a_fixed_number_of_queries(
    api: Client, invitations: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    survey = csat_survey()
    for _ in range(invitations):
        sent_invitation(survey, ticket=None, team=TeamFactory.create(), organisation=OrganisationFactory.create())

    # token and its last use, the survey with its questions and organisations, the invitations
    with django_assert_max_num_queries(6):
        response = api.get(f"{SURVEYS}/{survey.pk}/invitations")

    assert len(response.json()["items"]) == invitations


def test_an_invitation_shows_its_answers_in_question_order_and_its_follow_up(api: Client) -> None:
    survey = csat_survey()
    case = follow_up(survey, score=1)
    invitation = case.invitation
    comment = answer(invitation, QuestionKind.COMMENT, None, comment="Nobody called back.")
    solved = answer(invitation, QuestionKind.YES_NO, 0)
    unanswered = sent_invitation(survey)

    read = api.get(f"/api/v1/survey-invitations/{invitation.pk}")
    other = api.get(f"/api/v1/survey-invitations/{unanswered.pk}")

    assert read.status_code == 200
    assert [item["id"] for item in read.json()["answers"]] == [case.answer_id, solved.pk, comment.pk]
    assert read.json()["answers"][2]["comment"] == "Nobody called back."
    assert read.json()["follow_up"] == case.pk
    assert (other.json()["answers"], other.json()["follow_up"]) == ([], None)
    assert api.get("/api/v1/survey-invitations/424242").status_code == 404


@pytest.mark.parametrize("answers", [1, 3])
def test_an_invitation_runs_a_fixed_number_of_queries(
    api: Client, answers: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    invitation = sent_invitation(csat_survey())
    for kind in [QuestionKind.CSAT, QuestionKind.YES_NO, QuestionKind.COMMENT][:answers]:
        answer(invitation, kind, 1)

    # token and its last use, the invitation with its follow-up, its answers with their context
    with django_assert_max_num_queries(4):
        response = api.get(f"/api/v1/survey-invitations/{invitation.pk}")

    assert len(response.json()["answers"]) == answers


# --- opting out ----------------------------------------------------------------------------


def test_an_agent_opts_a_contact_out_of_surveys_and_back_in(agent_api: Client) -> None:
    contact = ContactFactory.create()
    pending = invitation_schedule(survey=csat_survey(), contact=contact, now=NOW)
    url = f"/api/v1/contacts/{contact.pk}/survey-opt-out"

    before = agent_api.get(url)
    opted_out = agent_api.post(url)
    read = agent_api.get(url)
    withdrawn = Invitation.objects.get().status
    opted_in = agent_api.delete(url)

    assert pending is not None
    assert before.json() == {"contact": contact.pk, "survey_opted_out": False}
    assert opted_out.status_code == read.status_code == opted_in.status_code == 200
    assert opted_out.json() == read.json() == {"contact": contact.pk, "survey_opted_out": True}
    assert withdrawn == InvitationStatus.OPTED_OUT
    assert opted_in.json() == {"contact": contact.pk, "survey_opted_out": False}
    assert not OptOut.objects.exists()


def test_opting_out_twice_keeps_one_opt_out(agent_api: Client) -> None:
    contact = ContactFactory.create()

    responses = [agent_api.post(f"/api/v1/contacts/{contact.pk}/survey-opt-out") for _ in range(2)]

    assert [response.json()["survey_opted_out"] for response in responses] == [True, True]
    assert OptOut.objects.filter(contact=contact).count() == 1


def test_light_agents_and_strangers_may_not_opt_contacts_out(light_api: Client, agent_api: Client) -> None:
    contact = ContactFactory.create()
    url = f"/api/v1/contacts/{contact.pk}/survey-opt-out"

    responses = [light_api.post(url), light_api.get(url), light_api.delete(url), Client().post(url)]

    assert [response.status_code for response in responses] == [403, 403, 403, 401]
    assert agent_api.post("/api/v1/contacts/424242/survey-opt-out").status_code == 404
    assert not OptOut.objects.exists()


# --- follow-ups ----------------------------------------------------------------------------


@pytest.fixture
def cases(agent: User) -> dict[str, FollowUp]:
    """Follow-ups the agent owns (for another team), their team owns, and neither."""
    colleague = UserFactory.create()
    ours, theirs = TeamFactory.create(members=[agent, colleague]), TeamFactory.create(members=[colleague])
    survey = csat_survey()
    return {
        "mine": follow_up(survey, owner=agent, team=theirs, due_at=NOW + timedelta(days=1)),
        "team": follow_up(survey, owner=colleague, team=ours, due_at=NOW - timedelta(hours=1)),
        "theirs": follow_up(survey, owner=colleague, team=theirs, due_at=NOW + timedelta(days=3)),
    }


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        (Role.ADMIN, ["team", "mine", "theirs"]),
        (Role.SUPERVISOR, ["team", "mine", "theirs"]),
        (Role.AGENT, ["team", "mine"]),
    ],
)
def test_each_role_sees_the_follow_ups_it_may_act_on_soonest_due_first(
    agent: User, cases: dict[str, FollowUp], role: str, visible: list[str]
) -> None:
    agent.role = role
    agent.save(update_fields=["role"])
    client = api_client(agent)

    listed = client.get(FOLLOW_UPS)
    read = {name: client.get(f"{FOLLOW_UPS}/{case.pk}").status_code for name, case in cases.items()}

    assert ids(listed) == [cases[name].pk for name in visible]
    assert read == {name: 200 if name in visible else 404 for name in cases}


def test_light_agents_and_strangers_see_no_follow_ups(cases: dict[str, FollowUp], light_api: Client) -> None:
    responses = [light_api.get(FOLLOW_UPS), light_api.get(f"{FOLLOW_UPS}/{cases['mine'].pk}")]

    assert [response.status_code for response in responses] == [403, 403]
    assert Client().get(FOLLOW_UPS).status_code == 401


def test_follow_ups_filter_by_owner_due_date_and_status(agent_api: Client, cases: dict[str, FollowUp]) -> None:
    closed = cases["theirs"]
    closed.team = cases["team"].team
    closed.status, closed.action_plan, closed.outcome, closed.closed_at = "closed", "Called", "Refund", NOW
    closed.save()

    mine = agent_api.get(FOLLOW_UPS, {"mine": "true"})
    overdue = agent_api.get(FOLLOW_UPS, {"overdue": "true"})
    done = agent_api.get(FOLLOW_UPS, {"status": "closed"})
    every = agent_api.get(FOLLOW_UPS, {"status": "all"})

    assert ids(mine) == [cases["mine"].pk]
    assert ids(overdue) == [cases["team"].pk]
    assert ids(done) == [closed.pk]
    assert sorted(ids(every)) == sorted(case.pk for case in cases.values())
    assert error(agent_api.get(FOLLOW_UPS, {"status": "lost"})) == (422, "status")


def test_a_follow_up_shows_the_answer_its_context_and_every_answer(agent_api: Client, agent: User) -> None:
    case = follow_up(csat_survey(name="After a ticket"), owner=agent)
    comment = answer(case.invitation, QuestionKind.COMMENT, None, comment="Slow check-in.")

    response = agent_api.get(f"{FOLLOW_UPS}/{case.pk}")

    body = response.json()
    assert response.status_code == 200
    assert (body["level"], body["status"], body["due_at"], body["owner"]) == (
        "dissatisfied",
        "open",
        "2026-11-04T09:00:00Z",
        {"id": agent.pk, "name": agent.name},
    )
    assert (body["survey"]["name"], body["contact"]["id"], body["invitation"]) == (
        "After a ticket",
        case.invitation.contact_id,
        case.invitation_id,
    )
    assert (body["answer"]["kind"], body["answer"]["score"]) == ("csat", 1)
    assert [(item["id"], item["question_text"]) for item in body["answers"]] == [
        (case.answer_id, "How satisfied are you with the help you received?"),
        (comment.pk, "Is there anything else you would like to tell us?"),
    ]


@pytest.mark.parametrize("answers", [1, 3])
def test_a_follow_up_runs_a_fixed_number_of_queries(
    agent_api: Client, agent: User, answers: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    case = follow_up(csat_survey(), owner=agent, team=TeamFactory.create())
    for kind in [QuestionKind.YES_NO, QuestionKind.COMMENT][: answers - 1]:
        answer(case.invitation, kind, 1)
    for row in Answer.objects.all():
        Answer.objects.filter(pk=row.pk).update(agent=UserFactory.create())

    # token and its last use, the follow-up with its context, its invitation's answers with theirs
    with django_assert_max_num_queries(4):
        response = agent_api.get(f"{FOLLOW_UPS}/{case.pk}")

    assert len(response.json()["answers"]) == answers


def test_follow_ups_are_paged_open_by_due_date_closed_newest_first(api: Client) -> None:
    survey = csat_survey()
    due = [follow_up(survey, due_at=NOW + timedelta(days=days)) for days in (3, 1, 1, 2)]

    first = api.get(FOLLOW_UPS, {"limit": 3})
    second = api.get(FOLLOW_UPS, {"limit": 3, "cursor": first.json()["next_cursor"]})

    assert ids(first) + ids(second) == [due[1].pk, due[2].pk, due[3].pk, due[0].pk]
    assert second.json()["next_cursor"] is None
    assert error(api.get(FOLLOW_UPS, {"cursor": "???"})) == (422, "cursor")


@pytest.mark.parametrize("follow_ups", [1, 8])
def test_follow_up_list_runs_a_fixed_number_of_queries(
    agent_api: Client, agent: User, follow_ups: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    survey = csat_survey()
    team = TeamFactory.create(members=[agent])
    for _ in range(follow_ups):
        follow_up(survey, owner=UserFactory.create(), team=team, closed_by=UserFactory.create())

    # token and its last use, the follow-ups with their answers, owners, teams, contacts, surveys
    with django_assert_max_num_queries(3):
        response = agent_api.get(FOLLOW_UPS)

    assert len(response.json()["items"]) == follow_ups


def test_a_supervisor_reassigns_and_reschedules_a_follow_up(api: Client, agent: User) -> None:
    case = follow_up(csat_survey(), escalated_at=NOW)

    response = api.patch(f"{FOLLOW_UPS}/{case.pk}", {"owner": agent.pk, "due_at": "2026-11-06T10:00:00+01:00"}, JSON)

    case.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["owner"] == {"id": agent.pk, "name": agent.name}
    assert (case.owner, case.due_at, case.escalated_at) == (agent, NOW + timedelta(days=4), None)


def test_the_owner_writes_the_action_plan_but_may_not_reassign_or_reschedule(agent_api: Client, agent: User) -> None:
    case = follow_up(csat_survey(), owner=agent)
    url = f"{FOLLOW_UPS}/{case.pk}"

    planned = agent_api.patch(url, {"action_plan": "Call the guest tomorrow."}, JSON)
    reassigned = agent_api.patch(url, {"owner": None}, JSON)
    rescheduled = agent_api.patch(url, {"due_at": "2026-12-01T09:00:00Z"}, JSON)

    case.refresh_from_db()
    assert (planned.status_code, reassigned.status_code, rescheduled.status_code) == (200, 403, 403)
    assert planned.json()["action_plan"] == "Call the guest tomorrow."
    assert (case.owner, case.due_at, case.action_plan) == (agent, NOW + timedelta(days=2), "Call the guest tomorrow.")


def test_a_team_member_who_does_not_own_a_follow_up_may_not_change_it(agent_api: Client, agent: User) -> None:
    team = TeamFactory.create(members=[agent])
    case = follow_up(csat_survey(), owner=UserFactory.create(), team=team)

    responses = [
        agent_api.patch(f"{FOLLOW_UPS}/{case.pk}", {"action_plan": "Mine now"}, JSON),
        agent_api.post(f"{FOLLOW_UPS}/{case.pk}/close", {"action_plan": "A", "outcome": "B"}, JSON),
    ]

    case.refresh_from_db()
    assert [response.status_code for response in responses] == [403, 403]
    assert (case.status, case.action_plan) == ("open", "")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"owner": 424242}, "owner"),
        ({"due_at": "2026-11-06T10:00:00"}, "due_at"),
        ({"due_at": None}, "due_at"),
        ({"action_plan": None}, "action_plan"),
    ],
)
def test_a_follow_up_change_that_cannot_be_is_refused_and_changes_nothing(
    api: Client, agent: User, body: dict[str, Any], field: str
) -> None:
    case = follow_up(csat_survey(), owner=agent)

    response = api.patch(f"{FOLLOW_UPS}/{case.pk}", {"action_plan": "Changed", **body}, JSON)

    case.refresh_from_db()
    assert error(response) == (422, field)
    assert (case.owner, case.due_at, case.action_plan) == (agent, NOW + timedelta(days=2), "")


def test_a_light_agent_may_not_own_a_follow_up(api: Client, agent: User) -> None:
    case = follow_up(csat_survey(), owner=agent)
    light = UserFactory.create(role=Role.LIGHT_AGENT)

    response = api.patch(f"{FOLLOW_UPS}/{case.pk}", {"owner": light.pk}, JSON)

    case.refresh_from_db()
    assert error(response) == (422, "owner")
    assert case.owner == agent


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action_plan": "Called the guest."}, "outcome"),
        ({"action_plan": "Called the guest.", "outcome": "  "}, "outcome"),
        ({"outcome": "Refunded one night."}, "action_plan"),
        ({"action_plan": "", "outcome": "Refunded one night."}, "action_plan"),
    ],
)
def test_closing_a_follow_up_requires_the_action_plan_and_the_outcome(
    agent_api: Client, agent: User, body: dict[str, Any], field: str
) -> None:
    case = follow_up(csat_survey(), owner=agent)

    response = agent_api.post(f"{FOLLOW_UPS}/{case.pk}/close", body, JSON)

    case.refresh_from_db()
    assert error(response) == (422, field)
    assert (case.status, case.outcome, case.closed_at) == ("open", "", None)


def test_the_owner_closes_a_follow_up_once(agent_api: Client, agent: User) -> None:
    case = follow_up(csat_survey(), owner=agent, action_plan="Call the guest.")
    url = f"{FOLLOW_UPS}/{case.pk}/close"

    closed = agent_api.post(url, {"outcome": "Refunded one night; the guest will come back."}, JSON)
    again = agent_api.post(url, {"action_plan": "Other", "outcome": "Other"}, JSON)
    changed = agent_api.patch(f"{FOLLOW_UPS}/{case.pk}", {"action_plan": "Other"}, JSON)

    case.refresh_from_db()
    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["closed_at"], closed.json()["closed_by"]) == (
        "closed",
        "2026-11-02T09:00:00Z",
        agent.pk,
    )
    assert (again.status_code, changed.status_code) == (409, 409)
    assert (case.status, case.action_plan, case.outcome) == (
        FollowUpStatus.CLOSED,
        "Call the guest.",
        "Refunded one night; the guest will come back.",
    )


# --- scores --------------------------------------------------------------------------------

OCTOBER: dict[str, Any] = {"start": "2026-10-01", "end": "2026-10-31"}
MID_OCTOBER = NOW.replace(month=10, day=15)
SCORE_PATHS = [
    "/api/v1/survey-scores/summary",
    "/api/v1/survey-scores/trend",
    "/api/v1/survey-scores/breakdown?dimension=team",
    "/api/v1/survey-scores/answers",
    "/api/v1/survey-scores/themes",
    "/api/v1/survey-scores/phrases?language=es",
    "/api/v1/survey-scores/ideas",
]


def scored(survey: Survey, kind: str, values: list[int], *, at: Any = MID_OCTOBER, **fields: Any) -> list[Any]:
    """One answered invitation per value, each with one answer of the kind."""
    rows = []
    for value in values:
        invitation = sent_invitation(survey, now=at, **fields)
        invitation.status, invitation.answered_at = InvitationStatus.ANSWERED, at
        invitation.save(update_fields=["status", "answered_at"])
        rows.append(answer(invitation, kind, value, now=at))
    return rows


@pytest.mark.parametrize("path", SCORE_PATHS)
def test_only_supervisors_and_admins_read_the_scores(
    path: str, api: Client, agent_api: Client, light_api: Client
) -> None:
    admin_api = api_client(UserFactory.create(role=Role.ADMIN))

    statuses = [client.get(path).status_code for client in (api, admin_api, agent_api, light_api, Client())]

    assert statuses == [200, 200, 403, 403, 401]


def test_the_summary_scores_the_answers_of_the_period(api: Client) -> None:
    survey = csat_survey()
    scored(survey, QuestionKind.CSAT, [5, 4, 1])
    scored(survey, QuestionKind.NPS, [10, 9, 0, 7])
    scored(survey, QuestionKind.CSAT, [1, 1], at=MID_OCTOBER.replace(month=9))
    sent_invitation(survey, now=MID_OCTOBER)

    response = api.get("/api/v1/survey-scores/summary", OCTOBER)

    assert response.status_code == 200
    assert response.json() == {
        "start": "2026-10-01T00:00:00Z",
        "end": "2026-11-01T00:00:00Z",
        "first_day": "2026-10-01",
        "last_day": "2026-10-31",
        "summary": {
            "csat": 66.7,
            "csat_answers": 3,
            "nps": 25.0,
            "nps_answers": 4,
            "promoters": 2,
            "passives": 1,
            "detractors": 1,
            "ces": None,
            "ces_answers": 0,
            "sent": 8,
            "answered": 7,
            "response_rate": 87.5,
        },
    }


def test_the_scores_are_narrowed_by_the_dashboards_filters(api: Client) -> None:
    survey, team = csat_survey(), TeamFactory.create()
    scored(survey, QuestionKind.CSAT, [5], team=team, channel="whatsapp", region="Vilnius")
    scored(survey, QuestionKind.CSAT, [1, 2])

    def csat(**filters: Any) -> Any:
        return api.get("/api/v1/survey-scores/summary", {**OCTOBER, **filters}).json()["summary"]["csat_answers"]

    assert [
        csat(),
        csat(team=team.pk),
        csat(team=0),
        csat(channel="whatsapp"),
        csat(channel="-"),
        csat(region="Vilnius"),
        csat(survey=survey.pk, region="-"),
        csat(team=""),
    ] == [3, 1, 2, 1, 2, 1, 2, 3]


def test_the_trend_has_every_week_of_the_period(api: Client) -> None:
    survey = csat_survey()
    scored(survey, QuestionKind.CSAT, [5, 1], at=NOW.replace(month=10, day=7))

    response = api.get("/api/v1/survey-scores/trend", {**OCTOBER, "bucket": "week"})

    points = response.json()["points"]
    assert response.json()["bucket"] == "week"
    assert [point["start"] for point in points] == [
        "2026-09-28",
        "2026-10-05",
        "2026-10-12",
        "2026-10-19",
        "2026-10-26",
    ]
    assert [point["summary"]["csat"] for point in points] == [None, 50.0, None, None, None]


def test_the_breakdown_names_each_row_and_groups_what_has_none(api: Client) -> None:
    survey, team = csat_survey(), TeamFactory.create(name="Reservations")
    scored(survey, QuestionKind.CSAT, [5, 4], team=team)
    scored(survey, QuestionKind.CSAT, [1])

    response = api.get("/api/v1/survey-scores/breakdown", {**OCTOBER, "dimension": "team"})

    assert response.json()["dimension"] == "team"
    assert [(row["key"], row["label"], row["summary"]["csat"]) for row in response.json()["rows"]] == [
        (str(team.pk), "Reservations", 100.0),
        ("-", "Not set", 0.0),
    ]


def test_the_drill_down_pages_the_answers_newest_first_with_their_context(api: Client, agent: User) -> None:
    survey = csat_survey(name="After a ticket")
    contact = ContactFactory.create(name="Rūta")
    rows = [
        scored(
            survey, QuestionKind.NPS, [score], at=MID_OCTOBER + timedelta(hours=hours), agent=agent, contact=contact
        )[0]
        for hours, score in ((1, 10), (2, 3), (3, 9), (4, 6))
    ]
    scored(survey, QuestionKind.CSAT, [5])
    url = "/api/v1/survey-scores/answers"

    first = api.get(url, {**OCTOBER, "kind": "nps", "limit": 3})
    second = api.get(url, {**OCTOBER, "kind": "nps", "limit": 3, "cursor": first.json()["next_cursor"]})
    promoters = api.get(url, {**OCTOBER, "kind": "nps", "score_min": 9})
    threes = api.get(url, {**OCTOBER, "score": 3})

    assert ids(first) + ids(second) == [rows[3].pk, rows[2].pk, rows[1].pk, rows[0].pk]
    assert second.json()["next_cursor"] is None
    assert ids(promoters) == [rows[2].pk, rows[0].pk]
    item = threes.json()["items"][0]
    assert (item["id"], item["score"], item["survey_name"], item["contact_name"], item["agent_name"]) == (
        rows[1].pk,
        3,
        "After a ticket",
        "Rūta",
        agent.name,
    )
    assert item["question_text"] == "How likely are you to recommend us to a friend or colleague?"


@pytest.mark.parametrize("answers", [1, 8])
def test_the_drill_down_runs_a_fixed_number_of_queries(
    api: Client, answers: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    survey = csat_survey()
    for _ in range(answers):
        scored(survey, QuestionKind.CSAT, [4], agent=UserFactory.create(), contact=ContactFactory.create())

    # token and its last use, the answers with their surveys, questions, contacts, agents, invitations
    with django_assert_max_num_queries(3):
        response = api.get("/api/v1/survey-scores/answers", OCTOBER)

    assert len(response.json()["items"]) == answers


def test_ideas_are_the_comments_tagged_as_ideas(api: Client) -> None:
    survey = csat_survey()
    invitation = sent_invitation(survey, now=MID_OCTOBER)
    idea = answer(
        invitation, QuestionKind.COMMENT, None, now=MID_OCTOBER, comment="Add a late check-in box", is_idea=True
    )
    answer(sent_invitation(survey, now=MID_OCTOBER), QuestionKind.COMMENT, None, now=MID_OCTOBER, comment="Fine")

    response = api.get("/api/v1/survey-scores/ideas", OCTOBER)

    assert [(item["id"], item["comment"], item["is_idea"]) for item in response.json()["items"]] == [
        (idea.pk, "Add a late check-in box", True)
    ]


def comment(survey: Survey, words: str, *, at: Any = MID_OCTOBER, **fields: Any) -> Any:
    return answer(sent_invitation(survey, now=at), QuestionKind.COMMENT, None, now=at, comment=words, **fields)


def test_the_themes_of_the_comments_most_frequent_first_and_over_time(api: Client) -> None:
    survey = csat_survey()
    comment(survey, "Slow check-in", themes=["slow_check_in"], sentiment_label="negative")
    comment(survey, "Check-in took an hour", themes=["slow_check_in"], sentiment_label="neutral")
    comment(
        survey,
        "Slow check-in and nobody told us",
        themes=["slow_check_in", "lack_of_information"],
        sentiment_label="negative",
        at=NOW.replace(month=10, day=27),
    )

    response = api.get("/api/v1/survey-scores/themes", {**OCTOBER, "bucket": "month"})

    body = response.json()
    assert body["themes"] == [
        {"key": "slow_check_in", "label": "Slow check-in", "count": 3, "negative": 2},
        {"key": "lack_of_information", "label": "Lack of information", "count": 1, "negative": 1},
    ]
    assert body["bucket"] == "month"
    assert [(point["start"], point["counts"]["slow_check_in"]) for point in body["over_time"]] == [("2026-10-01", 3)]


def test_recurring_phrases_of_one_language(api: Client) -> None:
    survey = csat_survey()
    comment(survey, "La piscina estaba cerrada todo el fin de semana", language="es")
    comment(survey, "Una pena que la piscina estaba cerrada", language="es")
    comment(survey, "The pool was closed all weekend", language="en")

    response = api.get("/api/v1/survey-scores/phrases", {**OCTOBER, "language": "es"})

    assert response.json()["language"] == "es"
    assert {(item["phrase"], item["count"]) for item in response.json()["phrases"]} >= {("piscina", 2), ("cerrada", 2)}


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("summary", {"start": "2026-10-01"}, "end"),
        ("summary", {"start": "1 October", "end": "2026-10-31"}, "start"),
        ("summary", {"start": "2026-10-31", "end": "2026-10-01"}, "end"),
        ("summary", {"period": "forever"}, "period"),
        ("summary", {"agent": -1}, "agent"),
        ("summary", {"channel": "pigeon"}, "channel"),
        ("trend", {"bucket": "hour"}, "bucket"),
        ("trend", {"start": "2000-01-01", "end": "2026-10-31", "bucket": "day"}, "bucket"),
        ("breakdown", {}, "dimension"),
        ("breakdown", {"dimension": "weather"}, "dimension"),
        ("answers", {"cursor": "broken"}, "cursor"),
        ("answers", {"kind": "stars"}, "kind"),
        ("answers", {"limit": 1000}, "limit"),
        ("phrases", {}, "language"),
    ],
)
def test_a_score_query_that_cannot_be_answered_names_the_field(
    api: Client, path: str, params: dict[str, Any], field: str
) -> None:
    assert error(api.get(f"/api/v1/survey-scores/{path}", params)) == (422, field)


# --- the public score ----------------------------------------------------------------------


def test_the_public_score_is_published_only_when_the_programme_says_so(api: Client) -> None:
    survey = csat_survey()
    scored(survey, QuestionKind.CSAT, [5, 4, 4, 1])
    scored(survey, QuestionKind.CSAT, [1], at=NOW - timedelta(days=91))

    hidden = Client().get("/api/v1/public/csat")
    api.patch(PROGRAMME, {"public_score": True}, JSON)
    shown = Client().get("/api/v1/public/csat")

    assert hidden.status_code == 404
    assert shown.status_code == 200
    assert shown.json() == {
        "csat": 75.0,
        "answers": 4,
        "start": "2026-08-04T09:00:00Z",
        "end": "2026-11-02T09:00:00Z",
    }


# --- the OpenAPI document ------------------------------------------------------------------

SURVEY_OPERATIONS = {
    ("/api/v1/surveys/programme", "get"): "200",
    ("/api/v1/surveys/programme", "patch"): "200",
    ("/api/v1/surveys", "get"): "200",
    ("/api/v1/surveys", "post"): "201",
    ("/api/v1/surveys/{survey_id}", "get"): "200",
    ("/api/v1/surveys/{survey_id}", "put"): "200",
    ("/api/v1/surveys/{survey_id}", "delete"): "204",
    ("/api/v1/surveys/{survey_id}/invitations", "get"): "200",
    ("/api/v1/surveys/{survey_id}/invitations", "post"): "201",
    ("/api/v1/survey-invitations/{invitation_id}", "get"): "200",
    ("/api/v1/contacts/{contact_id}/survey-opt-out", "get"): "200",
    ("/api/v1/contacts/{contact_id}/survey-opt-out", "post"): "200",
    ("/api/v1/contacts/{contact_id}/survey-opt-out", "delete"): "200",
    ("/api/v1/follow-ups", "get"): "200",
    ("/api/v1/follow-ups/{follow_up_id}", "get"): "200",
    ("/api/v1/follow-ups/{follow_up_id}", "patch"): "200",
    ("/api/v1/follow-ups/{follow_up_id}/close", "post"): "200",
    ("/api/v1/survey-scores/summary", "get"): "200",
    ("/api/v1/survey-scores/trend", "get"): "200",
    ("/api/v1/survey-scores/breakdown", "get"): "200",
    ("/api/v1/survey-scores/answers", "get"): "200",
    ("/api/v1/survey-scores/themes", "get"): "200",
    ("/api/v1/survey-scores/phrases", "get"): "200",
    ("/api/v1/survey-scores/ideas", "get"): "200",
    ("/api/v1/public/csat", "get"): "200",
}


def test_the_openapi_document_lists_the_survey_endpoints_with_typed_schemas(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()

    for (path, method), status in SURVEY_OPERATIONS.items():
        operation = document["paths"][path][method]
        assert operation["summary"], (path, method)
        assert operation["tags"] == ["surveys"], (path, method)
        assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorOut"
        }
        if status != "204":
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert "$ref" in schema or "$ref" in schema["items"], (path, method)
    assert "security" not in document["paths"]["/api/v1/public/csat"]["get"]
    assert {"SurveyOut", "SurveyIn", "QuestionIn", "InvitationDetailOut", "FollowUpDetailOut", "SummaryOut"} <= set(
        document["components"]["schemas"]
    )
