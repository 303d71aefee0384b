"""The survey pages: the customer's survey, one-click answers and opt-out (/s/…), the public
score (/score/…), follow-ups (/follow-ups/…) and the settings (/settings/surveys/…).

The views read the clock, so invitations here are sent "just now" (an invitation's links
work for 60 days after it is sent)."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone, translation
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Organisation, Role, Team, User
from frontdesk.accounts.tests.factories import ContactFactory, OrganisationFactory, TeamFactory, UserFactory
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
    SurveyKind,
    Trigger,
)
from frontdesk.surveys.services import TOKEN_SALT, invitation_token
from frontdesk.surveys.tests.factories import SurveyFactory, answer, csat_survey, question, sent_invitation
from frontdesk.surveys.views import answers_label
from frontdesk.tickets.tests.factories import TicketFactory
from frontdesk.workspace.tests.conftest import client_for

# --- people and data -----------------------------------------------------------------------


@pytest.fixture
def lead(db: None) -> User:
    return UserFactory.create(name="Lena Lead", role=Role.AGENT)


@pytest.fixture
def team(lead: User) -> Team:
    return TeamFactory.create(name="Reservations", lead=lead, members=[lead])


@pytest.fixture
def supervisor(db: None) -> User:
    return UserFactory.create(name="Sue Supervisor", role=Role.SUPERVISOR)


@pytest.fixture
def manager(supervisor: User) -> Client:
    return client_for(supervisor)


@pytest.fixture
def survey(db: None) -> Survey:
    return csat_survey(name="After a ticket")


@pytest.fixture
def invitation(survey: Survey, team: Team) -> Invitation:
    ticket = TicketFactory.create(subject="Late check-in", team=team)
    return sent_invitation(survey, ticket=ticket, team=team, now=timezone.now() - timedelta(hours=1))


def _question(survey: Survey, kind: str) -> Question:
    return survey.questions.get(kind=kind)


def _url(invitation: Invitation, suffix: str = "") -> str:
    return f"/s/{invitation_token(invitation)}/{suffix}"


def _follow_up(
    invitation: Invitation, *, owner: User | None, team: Team | None, due_in: timedelta = timedelta(days=2)
) -> FollowUp:
    now = timezone.now()
    return FollowUp.objects.create(
        invitation=invitation,
        answer=answer(invitation, QuestionKind.CSAT, 1, now=now),
        level=FollowUpLevel.DISSATISFIED,
        team=team,
        owner=owner,
        due_at=now + due_in,
        created_at=now,
    )


# --- the customer's survey -------------------------------------------------------------------


def test_the_survey_page_asks_every_question_without_sign_in(invitation: Invitation, survey: Survey) -> None:
    response = Client().get(_url(invitation))

    page = response.content.decode()
    assert response.status_code == 200
    assert "How satisfied are you with the help you received?" in page
    assert "Did we solve your problem?" in page
    assert "Is there anything else you would like to tell us?" in page
    csat = _question(survey, QuestionKind.CSAT)
    assert [f'name="q{csat.pk}" value="{n}"' in page for n in range(1, 6)] == [True] * 5
    assert f'name="q{csat.pk}" value="0"' not in page
    assert f'name="q{_question(survey, QuestionKind.COMMENT).pk}"' in page
    assert "workspace.css" not in page  # the customer's own look, not the agents'
    assert 'name="viewport"' in page


def test_the_survey_page_speaks_the_invitations_language(survey: Survey, team: Team) -> None:
    invitation = sent_invitation(survey, now=timezone.now())
    Invitation.objects.filter(pk=invitation.pk).update(language="es")

    response = Client(headers={"accept-language": "en"}).get(_url(invitation))

    assert response.status_code == 200
    assert response["Content-Language"] == "es"
    assert '<html lang="es">' in response.content.decode()


@pytest.mark.parametrize(
    "forge",
    [
        lambda invitation: "not-a-token",
        lambda invitation: invitation_token(invitation)[:-2] + "xx",  # the signature changed
        lambda invitation: signing.dumps(invitation.pk + 1, salt=TOKEN_SALT),  # signed, but no such invitation
        lambda invitation: signing.dumps(invitation.pk, salt="another.salt"),
    ],
)
def test_a_forged_token_gets_the_not_found_page(invitation: Invitation, forge: Callable[[Invitation], str]) -> None:
    token = forge(invitation)

    for suffix in ("", "opt-out/", f"{_question(invitation.survey, QuestionKind.CSAT).pk}/1/"):
        response = Client().get(f"/s/{token}/{suffix}")
        assert response.status_code == 404, suffix
        assert "This survey link is not valid." in response.content.decode()
    assert Client().post(f"/s/{token}/opt-out/").status_code == 404
    assert not Answer.objects.exists()
    assert not OptOut.objects.exists()


def test_answering_the_survey_records_the_answers_and_thanks(invitation: Invitation, survey: Survey) -> None:
    csat, solved, comment = (_question(survey, kind) for kind in ("csat", "yes_no", "comment"))
    client, url = Client(), _url(invitation)

    response = client.post(url, {f"q{csat.pk}": "5", f"q{solved.pk}": "1", f"q{comment.pk}": " Great! "})

    assert response.status_code == 302
    assert response["Location"] == url + "?thanks=1"
    answers = {a.question_id: (a.score, a.comment) for a in Answer.objects.all()}
    assert answers == {csat.pk: (5, ""), solved.pk: (1, ""), comment.pk: (None, "Great!")}
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED
    thanks = client.get(response["Location"]).content.decode()
    assert "Thank you for your answers!" in thanks
    assert 'type="radio"' not in thanks


def test_earlier_answers_are_chosen_when_the_page_opens_again(invitation: Invitation, survey: Survey) -> None:
    csat = _question(survey, QuestionKind.CSAT)
    answer(invitation, QuestionKind.CSAT, 4)
    answer(invitation, QuestionKind.COMMENT, None, comment="The keys were late.")

    page = Client().get(_url(invitation)).content.decode()

    assert f'name="q{csat.pk}" value="4" checked' in page
    assert f'name="q{csat.pk}" value="5" checked' not in page
    assert "The keys were late.</textarea>" in page


def test_a_survey_sent_with_nothing_chosen_asks_for_an_answer(invitation: Invitation) -> None:
    response = Client().post(_url(invitation), {})

    assert response.status_code == 422
    assert "Choose an answer or write a comment first." in response.content.decode()
    assert not Answer.objects.exists()


def test_a_score_outside_the_scale_is_shown_on_its_question_and_nothing_is_recorded(
    invitation: Invitation, survey: Survey
) -> None:
    csat, comment = _question(survey, QuestionKind.CSAT), _question(survey, QuestionKind.COMMENT)

    response = Client().post(_url(invitation), {f"q{csat.pk}": "9", f"q{comment.pk}": "Hello"})

    assert response.status_code == 422
    assert not Answer.objects.exists()


@pytest.mark.parametrize(
    ("status", "sent_days_ago", "message"),
    [
        (InvitationStatus.THROTTLED, 0, "This survey is not open for answers."),
        (InvitationStatus.CANCELLED, 0, "This survey is not open for answers."),
        (InvitationStatus.SENT, 61, "This survey has closed; thank you all the same."),
    ],
)
def test_a_closed_invitation_says_so_and_takes_no_answers(
    survey: Survey, status: str, sent_days_ago: int, message: str
) -> None:
    invitation = sent_invitation(survey, now=timezone.now() - timedelta(days=sent_days_ago))
    Invitation.objects.filter(pk=invitation.pk).update(status=status)
    invitation.refresh_from_db()
    csat = _question(survey, QuestionKind.CSAT)

    shown = Client().get(_url(invitation))
    posted = Client().post(_url(invitation), {f"q{csat.pk}": "5"})
    clicked = Client().get(_url(invitation, f"{csat.pk}/5/"))

    assert shown.status_code == 200
    assert message in shown.content.decode()
    assert 'type="radio"' not in shown.content.decode()
    assert posted.status_code == 409
    assert message in posted.content.decode()
    assert clicked.status_code == 409
    assert message in clicked.content.decode()
    assert not Answer.objects.exists()


# --- one click from the e-mail ------------------------------------------------------------------


def test_one_click_on_1_records_it_and_opens_a_follow_up_for_the_team_lead(
    invitation: Invitation, survey: Survey, lead: User, team: Team
) -> None:
    csat = _question(survey, QuestionKind.CSAT)
    before = timezone.now()

    response = Client().get(_url(invitation, f"{csat.pk}/1/"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Thank you! Your answer is recorded." in page
    assert f'name="q{csat.pk}"' not in page  # answered: the other questions remain
    assert f'name="q{_question(survey, QuestionKind.COMMENT).pk}"' in page
    recorded = Answer.objects.get()
    assert (recorded.question_id, recorded.score) == (csat.pk, 1)
    follow_up = FollowUp.objects.get()
    assert follow_up.owner == lead
    assert follow_up.team == team
    assert follow_up.level == FollowUpLevel.DISSATISFIED
    assert follow_up.status == FollowUpStatus.OPEN
    assert before + timedelta(days=2) <= follow_up.due_at <= timezone.now() + timedelta(days=2)


def test_a_comment_after_one_click_is_added_to_the_answer(invitation: Invitation, survey: Survey) -> None:
    csat, comment = _question(survey, QuestionKind.CSAT), _question(survey, QuestionKind.COMMENT)
    client = Client()
    client.get(_url(invitation, f"{csat.pk}/2/"))

    response = client.post(_url(invitation), {f"q{comment.pk}": "Nobody told us about the parking."})

    assert response.status_code == 302
    assert set(Answer.objects.values_list("score", "comment")) == {(2, ""), (None, "Nobody told us about the parking.")}


def test_a_head_request_on_the_one_click_link_records_nothing(invitation: Invitation, survey: Survey) -> None:
    csat = _question(survey, QuestionKind.CSAT)

    response = Client().head(_url(invitation, f"{csat.pk}/1/"))

    assert response.status_code == 200
    assert not Answer.objects.exists()
    assert not FollowUp.objects.exists()


@pytest.mark.parametrize("score", [0, 6, 42])
def test_a_one_click_score_outside_the_scale_shows_an_error_and_records_nothing(
    invitation: Invitation, survey: Survey, score: int
) -> None:
    csat = _question(survey, QuestionKind.CSAT)

    response = Client().get(_url(invitation, f"{csat.pk}/{score}/"))

    assert response.status_code == 422
    assert "An answer to this question is a number from 1 to 5." in response.content.decode()
    assert f'name="q{csat.pk}"' in response.content.decode()  # the whole survey, to answer properly
    assert not Answer.objects.exists()


def test_a_one_click_link_naming_another_surveys_question_records_nothing(invitation: Invitation) -> None:
    stranger = question(SurveyFactory.create(), QuestionKind.CSAT)

    response = Client().get(_url(invitation, f"{stranger.pk}/5/"))

    assert response.status_code == 422
    assert "This question is not part of the survey." in response.content.decode()
    assert not Answer.objects.exists()


# --- opting out -------------------------------------------------------------------------------


def test_opting_out_asks_first_then_stops_surveys_and_can_be_undone(invitation: Invitation) -> None:
    client = Client()

    asked = client.get(_url(invitation, "opt-out/"))
    assert asked.status_code == 200
    assert "Stop sending me surveys" in asked.content.decode()
    assert not OptOut.objects.exists()

    done = client.post(_url(invitation, "opt-out/"))
    assert done.status_code == 200
    assert "You will get no more surveys from us." in done.content.decode()
    assert "Undo: send me surveys again" in done.content.decode()
    assert OptOut.objects.filter(contact=invitation.contact).exists()
    assert "You have opted out of our surveys." in client.get(_url(invitation, "opt-out/")).content.decode()

    undone = client.post(_url(invitation, "opt-in/"))
    assert undone.status_code == 200
    assert "You will get our surveys again." in undone.content.decode()
    assert not OptOut.objects.exists()


def test_the_mail_providers_one_click_unsubscribe_needs_no_csrf_token(invitation: Invitation) -> None:
    provider = Client(enforce_csrf_checks=True)

    response = provider.post(
        _url(invitation, "opt-out/"), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert OptOut.objects.filter(contact=invitation.contact).exists()


def test_undoing_an_opt_out_is_protected_against_forged_posts(invitation: Invitation) -> None:
    OptOut.objects.create(contact=invitation.contact, created_at=timezone.now())

    response = Client(enforce_csrf_checks=True).post(_url(invitation, "opt-in/"))

    assert response.status_code == 403
    assert OptOut.objects.exists()


# --- the public score -------------------------------------------------------------------------


def test_the_public_score_is_not_found_until_it_is_published(db: None) -> None:
    Programme.objects.create(pk=1, public_score=False)

    assert Client().get("/score/").status_code == 404
    assert Client().get("/score/badge.svg").status_code == 404


def test_the_published_badge_shows_the_csat_of_90_days_and_the_answers(survey: Survey) -> None:
    Programme.objects.create(pk=1, public_score=True)
    now = timezone.now()
    for score in (5, 5, 4, 1):
        answer(
            sent_invitation(survey, now=now - timedelta(days=3)), QuestionKind.CSAT, score, now=now - timedelta(days=2)
        )
    answer(sent_invitation(survey, now=now - timedelta(days=120)), QuestionKind.CSAT, 1, now=now - timedelta(days=100))

    badge = Client().get("/score/badge.svg")
    page = Client().get("/score/")

    svg = badge.content.decode()
    assert badge.status_code == 200
    assert badge["Content-Type"].startswith("image/svg+xml")
    assert "public" in badge["Cache-Control"]
    assert "max-age=600" in badge["Cache-Control"]
    assert svg.startswith("<svg")
    assert "<title>CSAT: 75 % · 4 answers</title>" in svg
    assert 'fill="#e05d44"' not in svg  # 75 % is not red
    assert page.status_code == 200
    assert "75.0 %" in page.content.decode()
    assert "4 answers" in page.content.decode()


def test_the_badge_says_when_there_are_no_answers(db: None) -> None:
    Programme.objects.create(pk=1, public_score=True)

    svg = Client().get("/score/badge.svg").content.decode()

    assert "<title>CSAT: no answers yet</title>" in svg
    assert 'fill="#9f9f9f"' in svg


@pytest.mark.parametrize(
    ("language", "count", "number"),
    [("en", 1234, "1,234"), ("es", 12345, "12\xa0345"), ("en", 1, "1"), ("lt", 999, "999")],
)
def test_the_number_of_answers_is_grouped_in_thousands(language: str, count: int, number: str) -> None:
    with translation.override(language):
        assert answers_label(count).split(" ")[0] == number


# --- follow-ups -------------------------------------------------------------------------------


def test_light_agents_are_refused_the_follow_ups(invitation: Invitation, team: Team) -> None:
    follow_up = _follow_up(invitation, owner=None, team=team)
    client = client_for(UserFactory.create(role=Role.LIGHT_AGENT))

    assert client.get("/follow-ups/").status_code == 403
    assert client.get(f"/follow-ups/{follow_up.pk}/").status_code == 403
    assert client.post(f"/follow-ups/{follow_up.pk}/close/", {}).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in_for_follow_ups(invitation: Invitation, team: Team) -> None:
    response = Client().get("/follow-ups/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_an_agent_sees_the_follow_ups_of_her_teams_and_not_another_teams_by_url(
    invitation: Invitation, team: Team, lead: User, survey: Survey
) -> None:
    ours = _follow_up(invitation, owner=lead, team=team)
    other_team = TeamFactory.create(name="Housekeeping")
    theirs = _follow_up(sent_invitation(survey, now=timezone.now()), owner=None, team=other_team)
    colleague = UserFactory.create(role=Role.AGENT)
    team.members.add(colleague)
    client = client_for(colleague)

    listed = client.get("/follow-ups/")

    assert [row[0].pk for row in listed.context["rows"]] == [ours.pk]
    assert client.get(f"/follow-ups/{ours.pk}/").status_code == 200
    assert client.get(f"/follow-ups/{theirs.pk}/").status_code == 404
    assert client.post(f"/follow-ups/{theirs.pk}/close/", {}).status_code == 404
    assert {
        row[0].pk for row in client_for(UserFactory.create(role=Role.SUPERVISOR)).get("/follow-ups/").context["rows"]
    } == {ours.pk, theirs.pk}


def test_the_follow_up_tabs_list_open_mine_overdue_and_closed(
    invitation: Invitation, team: Team, lead: User, survey: Survey, supervisor: User, manager: Client
) -> None:
    mine = _follow_up(invitation, owner=supervisor, team=team)
    overdue = _follow_up(sent_invitation(survey, now=timezone.now()), owner=lead, team=team, due_in=-timedelta(hours=1))
    closed = _follow_up(sent_invitation(survey, now=timezone.now()), owner=lead, team=team)
    FollowUp.objects.filter(pk=closed.pk).update(
        status=FollowUpStatus.CLOSED, action_plan="Called.", outcome="Refunded.", closed_at=timezone.now()
    )

    def listed(tab: str) -> list[int]:
        return [row[0].pk for row in manager.get(f"/follow-ups/?tab={tab}").context["rows"]]

    assert listed("open") == [overdue.pk, mine.pk]  # due first
    assert listed("mine") == [mine.pk]
    assert listed("overdue") == [overdue.pk]
    assert listed("closed") == [closed.pk]
    page = manager.get("/follow-ups/?tab=open").content.decode()
    assert "Overdue" in page
    assert "CSAT 1/5" in page
    assert f'href="/tickets/{invitation.ticket_id}/"' in page


def test_the_follow_up_list_shows_the_customers_comment(invitation: Invitation, team: Team, manager: Client) -> None:
    _follow_up(invitation, owner=None, team=team)
    answer(invitation, QuestionKind.COMMENT, None, comment="Nobody answered the phone at night.")

    page = manager.get("/follow-ups/").content.decode()

    assert "Nobody answered the phone at night." in page


def test_the_follow_up_list_queries_do_not_grow_with_follow_ups(
    survey: Survey, team: Team, lead: User, manager: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(12):
        invitation = sent_invitation(
            survey, ticket=TicketFactory.create(team=team), team=team, now=timezone.now() - timedelta(minutes=n)
        )
        _follow_up(invitation, owner=lead, team=team)
        answer(invitation, QuestionKind.COMMENT, None, comment=f"Comment {n}")

    # session, user; the count; the page with owners, teams, answers, contacts, surveys, tickets; the comments
    with django_assert_max_num_queries(5):
        response = manager.get("/follow-ups/")

    assert len(response.context["rows"]) == 12


def test_the_follow_up_page_shows_the_answers_in_context(
    invitation: Invitation, team: Team, lead: User, manager: Client
) -> None:
    organisation = OrganisationFactory.create(name="Hotel Sol", key_account=True)
    Invitation.objects.filter(pk=invitation.pk).update(organisation=organisation)
    follow_up = _follow_up(invitation, owner=lead, team=team)
    answer(invitation, QuestionKind.YES_NO, 0)
    answer(invitation, QuestionKind.COMMENT, None, comment="Still no invoice.")

    page = manager.get(f"/follow-ups/{follow_up.pk}/").content.decode()

    assert "CSAT 1/5" in page
    assert "Did we solve your problem?" in page
    assert "<strong>No</strong>" in page
    assert "Still no invoice." in page
    assert "Hotel Sol" in page
    assert "Key account" in page
    assert f'href="/tickets/{invitation.ticket_id}/"' in page
    assert f'href="/contacts/{invitation.contact_id}/"' in page
    assert "After a ticket" in page
    assert "Lena Lead" in page


def test_closing_a_follow_up_requires_the_action_plan_and_the_outcome(
    invitation: Invitation, team: Team, lead: User
) -> None:
    follow_up = _follow_up(invitation, owner=lead, team=team)
    client = client_for(lead)
    url = f"/follow-ups/{follow_up.pk}/close/"

    without_outcome = client.post(url, {"close-action_plan": "Call the guest.", "close-outcome": ""})
    without_plan = client.post(url, {"close-action_plan": " ", "close-outcome": "Refunded one night."})

    assert without_outcome.status_code == 422
    assert "Write the outcome before closing." in without_outcome.content.decode()
    assert without_plan.status_code == 422
    assert "Write the action plan before closing." in without_plan.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.OPEN

    closed = client.post(url, {"close-action_plan": "Call the guest.", "close-outcome": "Refunded one night."})

    assert closed.status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.action_plan, follow_up.outcome) == (
        FollowUpStatus.CLOSED,
        "Call the guest.",
        "Refunded one night.",
    )
    assert follow_up.closed_by == lead
    page = client.get(f"/follow-ups/{follow_up.pk}/").content.decode()
    assert "Refunded one night." in page
    assert 'data-form="close"' not in page


def test_a_supervisor_reassigns_and_reschedules_a_follow_up(
    invitation: Invitation, team: Team, lead: User, manager: Client
) -> None:
    follow_up = _follow_up(invitation, owner=lead, team=team)
    FollowUp.objects.filter(pk=follow_up.pk).update(escalated_at=timezone.now())
    other = UserFactory.create(name="Omar Other", role=Role.AGENT)
    due = timezone.localtime(timezone.now() + timedelta(days=5)).replace(second=0, microsecond=0)

    response = manager.post(
        f"/follow-ups/{follow_up.pk}/",
        {
            "update-owner": str(other.pk),
            "update-due_at": due.strftime("%Y-%m-%dT%H:%M"),
            "update-action_plan": "Visit.",
        },
    )

    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert (follow_up.owner, follow_up.due_at, follow_up.action_plan) == (other, due, "Visit.")
    assert follow_up.escalated_at is None


def test_saving_only_the_plan_leaves_due_date_and_escalation_alone(
    invitation: Invitation, team: Team, lead: User, manager: Client
) -> None:
    follow_up = _follow_up(invitation, owner=lead, team=team)
    escalated = timezone.now()
    FollowUp.objects.filter(pk=follow_up.pk).update(escalated_at=escalated)
    form = manager.get(f"/follow-ups/{follow_up.pk}/").context["update_form"]
    data = {f"update-{name}": form[name].value() for name in ("owner", "due_at", "action_plan")}
    data["update-due_at"] = form["due_at"].value().strftime("%Y-%m-%dT%H:%M")
    data["update-action_plan"] = "Call back on Monday."

    assert manager.post(f"/follow-ups/{follow_up.pk}/", data).status_code == 302

    follow_up.refresh_from_db()
    assert follow_up.action_plan == "Call back on Monday."
    assert follow_up.escalated_at == escalated


def test_the_owner_writes_the_plan_but_may_not_reassign(invitation: Invitation, team: Team, lead: User) -> None:
    follow_up = _follow_up(invitation, owner=lead, team=team)
    other = UserFactory.create(role=Role.AGENT)
    client = client_for(lead)

    response = client.post(
        f"/follow-ups/{follow_up.pk}/", {"update-owner": str(other.pk), "update-action_plan": "Call the guest."}
    )

    assert response.status_code == 302  # the owner field is not hers to change: ignored
    follow_up.refresh_from_db()
    assert (follow_up.owner, follow_up.action_plan) == (lead, "Call the guest.")


def test_a_team_member_who_does_not_own_it_reads_but_may_not_change_it(
    invitation: Invitation, team: Team, lead: User
) -> None:
    follow_up = _follow_up(invitation, owner=lead, team=team)
    colleague = UserFactory.create(role=Role.AGENT)
    team.members.add(colleague)
    client = client_for(colleague)

    page = client.get(f"/follow-ups/{follow_up.pk}/").content.decode()
    closing = client.post(
        f"/follow-ups/{follow_up.pk}/close/", {"close-action_plan": "Plan.", "close-outcome": "Outcome."}
    )

    assert 'data-form="close"' not in page
    assert closing.status_code == 403
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.OPEN


# --- settings ---------------------------------------------------------------------------------


def survey_form_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "After the stay",
        "kind": SurveyKind.TRANSACTIONAL,
        "is_active": "on",
        "intro_en": "Thank you for staying with us.",
        "intro_es": "",
        "intro_lt": "",
        "trigger": Trigger.TICKET_SOLVED,
        "channels": ["email", "chat"],
        "delay_minutes": "1d",
        "organisations": [],
        "every_months": "3",
        "contacts_per_organisation": "5",
        "next_round_at": "",
        "reminders": "1",
        "reminder_after_hours": "72",
        "followup_team": "",
        "followup_days": "2",
        "satisfied_followup": "on",
        "satisfied_followup_days": "14",
        "q0-kind": "csat",
        "q0-text_es": "¿Qué tal le atendimos?",
        "q1-kind": "choice",
        "q1-text_en": "What brought you here?",
        "q1-choices_en": "A holiday\nWork\n\n",
        "q1-alert_at_most": "",
        "q3-kind": "comment",  # after an empty row
    }
    data.update(changes)
    return data


PAGES = ["/settings/surveys/", "/settings/surveys/{survey}/"]
CHANGES = [
    "/settings/surveys/new/",
    "/settings/surveys/{survey}/",
    "/settings/surveys/{survey}/delete/",
    "/settings/surveys/programme/",
    "/settings/surveys/key-accounts/",
]


def test_agents_may_read_the_survey_settings_without_a_way_to_change_them(survey: Survey) -> None:
    client = client_for(UserFactory.create(role=Role.AGENT))

    for url in PAGES:
        response = client.get(url.format(survey=survey.pk))
        assert response.status_code == 200, url
        assert 'type="submit" class="button-primary"' not in response.content.decode(), url
    assert "New survey" not in client.get("/settings/surveys/").content.decode()
    form = client.get(f"/settings/surveys/{survey.pk}/").context["form"]
    assert form.read_only
    assert all(field.disabled for field in form.fields.values())


def test_agents_may_not_change_the_survey_settings_nor_read_the_invitation_log(survey: Survey) -> None:
    client = client_for(UserFactory.create(role=Role.AGENT))

    for url in CHANGES:
        assert client.post(url.format(survey=survey.pk), survey_form_data()).status_code == 403, url
    assert client.get("/settings/surveys/new/").status_code == 403
    assert client.get(f"/settings/surveys/{survey.pk}/invitations/").status_code == 403
    assert Survey.objects.get().name == "After a ticket"


def test_light_agents_are_refused_every_survey_settings_page(survey: Survey) -> None:
    client = client_for(UserFactory.create(role=Role.LIGHT_AGENT))

    for url in [*PAGES, f"/settings/surveys/{survey.pk}/invitations/"]:
        assert client.get(url.format(survey=survey.pk)).status_code == 403, url
    for url in CHANGES:
        assert client.post(url.format(survey=survey.pk), {}).status_code == 403, url


def test_a_supervisor_creates_a_survey_with_its_questions_and_the_form_shows_it_back(manager: Client) -> None:
    assert manager.get("/settings/surveys/new/").status_code == 200

    response = manager.post("/settings/surveys/new/", survey_form_data())

    assert response.status_code == 302
    created = Survey.objects.get()
    assert (created.name, created.kind, created.trigger, created.delay_minutes) == (
        "After the stay",
        SurveyKind.TRANSACTIONAL,
        Trigger.TICKET_SOLVED,
        24 * 60,
    )
    assert created.channels == ["chat", "email"]
    assert created.intro == {"en": "Thank you for staying with us."}
    questions = list(created.questions.all())
    assert [(q.kind, q.position) for q in questions] == [("csat", 0), ("choice", 1), ("comment", 2)]
    assert questions[0].text == {"es": "¿Qué tal le atendimos?"}
    assert (questions[0].alert_at_most, questions[0].satisfied_at_most) == (2, 4)  # the kind's defaults
    assert questions[1].choices == {"en": ["A holiday", "Work"]}

    form = manager.get(f"/settings/surveys/{created.pk}/").context["form"]
    data = {name: form[name].value() for name in form.fields}
    for row in form.question_forms:
        data.update({row.add_prefix(name): row[name].value() for name in row.fields})
    data = {key: value for key, value in data.items() if value is not None and value is not False}
    data["is_active"] = "on"
    data["satisfied_followup"] = "on"
    assert data["delay_minutes"] == "1d"
    assert data["q1-choices_en"] == "A holiday\nWork"

    assert manager.post(f"/settings/surveys/{created.pk}/", data).status_code == 302

    again = Survey.objects.get()
    assert [q.pk for q in again.questions.all()] == [q.pk for q in questions]  # the same questions, kept
    assert again.questions.get(kind="choice").choices == {"en": ["A holiday", "Work"]}
    assert (again.delay_minutes, again.channels) == (24 * 60, ["chat", "email"])


def test_the_services_refusals_are_shown_on_the_survey_form(manager: Client, survey: Survey) -> None:
    duplicate = manager.post("/settings/surveys/new/", survey_form_data(name="After a ticket"))
    no_organisations = manager.post("/settings/surveys/new/", survey_form_data(kind=SurveyKind.RELATIONSHIP))
    bad_choice = manager.post("/settings/surveys/new/", survey_form_data(**{"q1-choices_en": "Only one"}))
    no_kind = manager.post("/settings/surveys/new/", survey_form_data(**{"q2-text_en": "Forgot the kind"}))

    assert duplicate.status_code == 409
    assert "Another survey is called After a ticket." in duplicate.content.decode()
    assert no_organisations.status_code == 422
    assert "A relationship survey needs at least one organisation." in no_organisations.content.decode()
    assert bad_choice.status_code == 422
    assert "A choice question needs at least two options in English." in bad_choice.content.decode()
    assert no_kind.status_code == 422
    assert "Choose the kind of question, or empty the row." in no_kind.content.decode()
    assert Survey.objects.count() == 1


def test_a_relationship_survey_is_saved_with_its_organisations(manager: Client) -> None:
    sol, mar = OrganisationFactory.create(name="Hotel Sol"), OrganisationFactory.create(name="Hotel Mar")

    response = manager.post(
        "/settings/surveys/new/",
        survey_form_data(
            name="Quarterly",
            kind=SurveyKind.RELATIONSHIP,
            organisations=[str(sol.pk), str(mar.pk)],
            every_months="3",
            contacts_per_organisation="4",
            next_round_at="2027-01-04T09:00",
            **{"q0-kind": "nps", "q1-kind": "", "q1-text_en": "", "q1-choices_en": ""},
        ),
    )

    assert response.status_code == 302
    created = Survey.objects.get()
    assert set(created.organisations.all()) == {sol, mar}
    assert created.trigger == ""
    assert created.contacts_per_organisation == 4
    assert timezone.localtime(created.next_round_at).strftime("%Y-%m-%d %H:%M") == "2027-01-04 09:00"
    assert [q.kind for q in created.questions.all()] == ["nps", "comment"]


def test_a_survey_with_answers_cannot_be_deleted_one_without_can(
    manager: Client, survey: Survey, invitation: Invitation
) -> None:
    answer(invitation, QuestionKind.CSAT, 5)
    unanswered = csat_survey(name="Never sent")

    assert manager.get(f"/settings/surveys/{survey.pk}/delete/").status_code == 200
    refused = manager.post(f"/settings/surveys/{survey.pk}/delete/", follow=True)
    deleted = manager.post(f"/settings/surveys/{unanswered.pk}/delete/")

    assert "This survey has answers: deactivate it instead." in refused.content.decode()
    assert Survey.objects.filter(pk=survey.pk).exists()
    assert deleted.status_code == 302
    assert not Survey.objects.filter(pk=unanswered.pk).exists()


def test_the_programme_and_the_public_score_are_set_on_the_settings_page(manager: Client) -> None:
    response = manager.post(
        "/settings/surveys/programme/", {"programme-throttle_days": "45", "programme-public_score": "on"}
    )

    assert response.status_code == 302
    programme = Programme.objects.get()
    assert (programme.throttle_days, programme.public_score) == (45, True)
    page = manager.get("/settings/surveys/").content.decode()
    assert "/score/badge.svg" in page  # the embed snippet
    assert 'href="/score/"' in page
    refused = manager.post("/settings/surveys/programme/", {"programme-throttle_days": "400"})
    assert refused.status_code == 422
    assert Programme.objects.get().throttle_days == 45


def test_key_accounts_are_marked_and_unmarked(manager: Client) -> None:
    sol = OrganisationFactory.create(name="Hotel Sol", key_account=True)
    mar = OrganisationFactory.create(name="Hotel Mar")
    OrganisationFactory.create(name="Hotel Luna")

    response = manager.post("/settings/surveys/key-accounts/", {"accounts-key_accounts": [str(mar.pk)]})

    assert response.status_code == 302
    assert set(Organisation.objects.filter(key_account=True)) == {mar}
    assert "2 organisations changed." in manager.get("/settings/surveys/").content.decode()
    sol.refresh_from_db()
    assert not sol.key_account


def test_the_invitation_log_shows_why_a_survey_was_not_sent(manager: Client, survey: Survey) -> None:
    contact = ContactFactory.create(name="Greta Guest")
    sent_invitation(survey, contact, now=timezone.now() - timedelta(days=2))
    Invitation.objects.create(
        survey=survey,
        contact=contact,
        language="en",
        status=InvitationStatus.THROTTLED,
        reason="Surveyed on 2026-11-20, within 30 days.",
        send_at=timezone.now(),
        created_at=timezone.now(),
    )

    response = manager.get(f"/settings/surveys/{survey.pk}/invitations/")
    throttled = manager.get(f"/settings/surveys/{survey.pk}/invitations/?status=throttled")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Surveyed on 2026-11-20, within 30 days." in page
    assert "Greta Guest" in page
    assert len(response.context["page"].object_list) == 2
    assert [i.status for i in throttled.context["page"].object_list] == [InvitationStatus.THROTTLED]


def test_the_settings_list_and_the_invitation_log_queries_do_not_grow(
    manager: Client, survey: Survey, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    Programme.objects.create(pk=1)
    OrganisationFactory.create_batch(5)
    for n in range(8):
        csat_survey(name=f"Survey {n}")
    for n in range(15):
        sent_invitation(survey, ticket=TicketFactory.create(), now=timezone.now() - timedelta(hours=n))

    # session, user; the surveys; their counts; the programme; the organisations
    with django_assert_max_num_queries(6):
        assert len(manager.get("/settings/surveys/").context["rows"]) == 9
    # session, user; the survey (questions, organisations); the count; the page with contacts and tickets
    with django_assert_max_num_queries(7):
        assert len(manager.get(f"/settings/surveys/{survey.pk}/invitations/").context["page"].object_list) == 15


def test_the_settings_list_counts_invitations_sent_and_answered_lately(manager: Client, survey: Survey) -> None:
    now = timezone.now()
    sent_invitation(survey, now=now - timedelta(days=1))
    answered = sent_invitation(survey, now=now - timedelta(days=2))
    Invitation.objects.filter(pk=answered.pk).update(status=InvitationStatus.ANSWERED)
    sent_invitation(survey, now=now - timedelta(days=40))  # too long ago

    rows = manager.get("/settings/surveys/").context["rows"]

    assert rows == [(survey, {"sent": 2, "answered": 1})]


# --- the sidebar ------------------------------------------------------------------------------


def test_the_sidebar_links_follow_ups_for_agents_and_the_settings_for_managers(manager: Client, db: None) -> None:
    agent_nav = client_for(UserFactory.create(role=Role.AGENT)).get("/nav/counts/").content.decode()
    light_nav = client_for(UserFactory.create(role=Role.LIGHT_AGENT)).get("/nav/counts/").content.decode()
    manager_nav = manager.get("/nav/counts/").content.decode()

    assert 'href="/follow-ups/"' in agent_nav
    assert 'href="/settings/surveys/"' not in agent_nav
    assert 'href="/follow-ups/"' not in light_nav
    assert 'href="/follow-ups/"' in manager_nav
    assert 'href="/settings/surveys/"' in manager_nav
