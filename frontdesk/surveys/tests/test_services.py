from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from frontdesk.accounts.models import Contact, ContactIdentity, Role
from frontdesk.accounts.tests.factories import ContactFactory, OrganisationFactory, TeamFactory, UserFactory
from frontdesk.core.errors import Conflict, PermissionDenied, ValidationError
from frontdesk.mail.models import OutboundEmail, OutboundKind
from frontdesk.mail.tests.factories import MailboxFactory
from frontdesk.notifications.models import Notification, StaffEmail
from frontdesk.surveys.models import (
    Answer,
    FollowUp,
    FollowUpLevel,
    FollowUpStatus,
    Invitation,
    InvitationStatus,
    OptOut,
    QuestionKind,
    Recipient,
    Survey,
    SurveyKind,
    Trigger,
)
from frontdesk.surveys.selectors import access_invitation
from frontdesk.surveys.services import (
    QuestionInput,
    answers_record,
    contact_opt_out,
    digest_queue,
    followup_close,
    followups_escalate_due,
    invitation_schedule,
    invitation_send,
    invitation_send_milestone,
    invitation_token,
    invitations_send_due,
    programme_update,
    relationship_rounds_run,
    reminders_send_due,
    schedule_on_change,
    survey_delete,
    survey_save,
    surveys_sweep,
)
from frontdesk.surveys.tests.factories import csat_survey, sent_invitation
from frontdesk.tickets.events import TicketChanged
from frontdesk.tickets.models import Channel, Status, Ticket
from frontdesk.tickets.services import ticket_update
from frontdesk.tickets.tests.factories import NOW, new_ticket

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def mailbox() -> Any:
    return MailboxFactory.create(smtp_url="smtp://127.0.0.1:2525")


def solve(ticket: Ticket, django_capture_on_commit_callbacks: Any, *, at: datetime = NOW) -> Ticket:
    agent = UserFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        return ticket_update(ticket=ticket, actor=agent, status=Status.SOLVED, now=at)


def scores(invitation: Invitation, **by_kind: int | str) -> dict[int, tuple[int | None, str]]:
    """{question id: (score, comment)} for answers_record, by question kind."""
    answers: dict[int, tuple[int | None, str]] = {}
    for q in invitation.survey.questions.all():
        if q.kind in by_kind:
            value = by_kind[q.kind]
            answers[q.pk] = (None, value) if isinstance(value, str) else (value, "")
    return answers


# --- scheduling --------------------------------------------------------------------------


def test_solving_a_ticket_schedules_the_survey_after_its_delay_once(django_capture_on_commit_callbacks: Any) -> None:
    survey = csat_survey(delay_minutes=24 * 60)
    ticket = new_ticket()
    solve(ticket, django_capture_on_commit_callbacks)
    agent = UserFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=Ticket.objects.get(pk=ticket.pk), actor=agent, status=Status.OPEN, now=NOW + DAY)
    solve(Ticket.objects.get(pk=ticket.pk), django_capture_on_commit_callbacks, at=NOW + 2 * DAY)

    (invitation,) = Invitation.objects.all()
    assert invitation.survey == survey
    assert invitation.contact == ticket.requester
    assert invitation.send_at == NOW + DAY
    assert invitation.status == InvitationStatus.SCHEDULED


def test_invitation_copies_the_ticket_dimensions(django_capture_on_commit_callbacks: Any) -> None:
    csat_survey()
    team = TeamFactory.create()
    organisation = OrganisationFactory.create(region="Baltics")
    agent = UserFactory.create()
    ticket = new_ticket(channel=Channel.WHATSAPP)
    Ticket.objects.filter(pk=ticket.pk).update(
        team=team, assignee=agent, organisation=organisation, booking_stage="in_stay", custom_fields={"product": "Spa"}
    )
    solve(Ticket.objects.get(pk=ticket.pk), django_capture_on_commit_callbacks)

    invitation = Invitation.objects.get()
    assert (invitation.agent, invitation.team, invitation.organisation) == (agent, team, organisation)
    assert (invitation.channel, invitation.region, invitation.product, invitation.booking_stage) == (
        "whatsapp",
        "Baltics",
        "Spa",
        "in_stay",
    )


def test_chat_ended_and_call_logged_triggers_follow_their_channels(django_capture_on_commit_callbacks: Any) -> None:
    chat = csat_survey(trigger=Trigger.CHAT_ENDED)
    call = csat_survey(trigger=Trigger.CALL_LOGGED)
    email_only = csat_survey(channels=[Channel.EMAIL])
    with django_capture_on_commit_callbacks(execute=True):
        phone_ticket = new_ticket(channel=Channel.PHONE)
    chat_ticket = new_ticket(channel=Channel.CHAT)
    solve(chat_ticket, django_capture_on_commit_callbacks)

    assert set(Invitation.objects.values_list("survey", "ticket")) == {
        (call.pk, phone_ticket.pk),
        (chat.pk, chat_ticket.pk),
    }
    assert not Invitation.objects.filter(survey=email_only).exists()


def test_inactive_surveys_and_merged_tickets_schedule_nothing(django_capture_on_commit_callbacks: Any) -> None:
    csat_survey(is_active=False)
    solve(new_ticket(), django_capture_on_commit_callbacks)
    assert not Invitation.objects.exists()

    csat_survey()
    merged = new_ticket()  # solved, then merged before its event was handled
    Ticket.objects.filter(pk=merged.pk).update(status=Status.SOLVED, solved_at=NOW, merged_into=new_ticket())
    schedule_on_change(TicketChanged(ticket_id=merged.pk, actor_id=None, fields=("status",)))
    assert not Invitation.objects.exists()


# --- sending -----------------------------------------------------------------------------


def test_the_sweep_sends_a_due_invitation_with_one_click_links_and_an_opt_out(mailbox: Any) -> None:
    survey = csat_survey()
    ticket = new_ticket()
    invitation = invitation_schedule(survey=survey, contact=ticket.requester, ticket=ticket, now=NOW)
    assert invitation is not None

    assert surveys_sweep(now=NOW)["sent"] == 1

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT
    assert invitation.sent_at == NOW
    assert invitation.next_reminder_at == NOW + timedelta(hours=72)
    outbound = OutboundEmail.objects.get(kind=OutboundKind.SURVEY)
    assert outbound.to_address == invitation.to_address == ticket.requester.identities.get().value
    mail = message_from_bytes(bytes(outbound.raw), policy=policy.default)
    token = invitation_token(invitation)
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    csat = survey.questions.get(kind=QuestionKind.CSAT)
    for score in range(1, 6):
        assert f"/s/{token}/{csat.pk}/{score}/" in text
    assert f"/s/{token}/opt-out/" in mail["List-Unsubscribe"]
    assert mail["Auto-Submitted"] == "auto-generated"
    assert f"#{ticket.pk}" in mail["Subject"]
    assert access_invitation(token) == invitation


def test_the_invitation_speaks_the_contacts_language(mailbox: Any) -> None:
    survey = csat_survey()
    contact = ContactFactory.create(language="es")
    invitation = invitation_schedule(survey=survey, contact=contact, occasion="onboarding", now=NOW)
    assert invitation is not None
    invitation_send(invitation_id=invitation.pk, now=NOW)

    mail = message_from_bytes(bytes(OutboundEmail.objects.get().raw), policy=policy.default)
    assert invitation.language == "es"
    assert "¿" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_a_second_survey_within_the_programmes_days_is_throttled_and_recorded(mailbox: Any) -> None:
    first, second = csat_survey(), csat_survey()
    contact = ContactFactory.create()
    a = invitation_schedule(survey=first, contact=contact, occasion="a", now=NOW)
    b = invitation_schedule(survey=second, contact=contact, occasion="b", now=NOW)
    assert a is not None
    assert b is not None
    invitation_send(invitation_id=a.pk, now=NOW)
    throttled = invitation_send(invitation_id=b.pk, now=NOW + 29 * DAY)

    assert throttled.status == InvitationStatus.THROTTLED
    assert "2026-11-02" in throttled.reason
    assert OutboundEmail.objects.count() == 1
    c = invitation_schedule(survey=second, contact=contact, occasion="c", now=NOW + 30 * DAY)
    assert c is not None
    assert invitation_send(invitation_id=c.pk, now=NOW + 30 * DAY).status == InvitationStatus.SENT


def test_the_programmes_days_are_configurable(mailbox: Any) -> None:
    programme_update(actor=UserFactory.create(role=Role.SUPERVISOR), throttle_days=7, now=NOW)
    survey = csat_survey()
    contact = ContactFactory.create()
    for day, expected in ((0, "sent"), (6, "throttled"), (7, "sent")):
        invitation = invitation_schedule(survey=survey, contact=contact, occasion=f"d{day}", now=NOW)
        assert invitation is not None
        assert invitation_send(invitation_id=invitation.pk, now=NOW + day * DAY).status == expected


def _invited(contact: Contact, at: datetime, occasion: str) -> Invitation:
    invitation = invitation_schedule(survey=csat_survey(), contact=contact, occasion=occasion, now=at)
    assert invitation is not None
    return invitation


def test_a_send_after_the_contacts_last_one_decides_from_their_row_without_asking_the_invitations(
    mailbox: Any,
) -> None:
    contact = ContactFactory.create()
    invitation_send(invitation_id=_invited(contact, NOW, "a").pk, now=NOW)
    held, sent = _invited(contact, NOW, "b"), _invited(contact, NOW, "c")

    with CaptureQueriesContext(connection) as queries:
        assert invitation_send(invitation_id=held.pk, now=NOW + 29 * DAY).status == InvitationStatus.THROTTLED
        assert invitation_send(invitation_id=sent.pk, now=NOW + 30 * DAY).status == InvitationStatus.SENT

    throttle_queries = [sql for sql in _reads(queries, "surveys_invitation") if '"contact_id" =' in sql]
    assert throttle_queries == []
    assert Recipient.objects.get(contact=contact).last_sent_at == NOW + 30 * DAY


def test_an_event_handled_late_is_checked_against_the_invitations(mailbox: Any) -> None:
    contact = ContactFactory.create()
    invitation_send(invitation_id=_invited(contact, NOW, "a").pk, now=NOW + 40 * DAY)
    late, later = _invited(contact, NOW, "b"), _invited(contact, NOW, "c")

    with CaptureQueriesContext(connection) as queries:
        assert invitation_send(invitation_id=late.pk, now=NOW + 5 * DAY).status == InvitationStatus.SENT
    assert invitation_send(invitation_id=later.pk, now=NOW + 20 * DAY).status == InvitationStatus.THROTTLED

    assert [sql for sql in _reads(queries, "surveys_invitation") if '"contact_id" =' in sql] != []
    assert Recipient.objects.get(contact=contact).last_sent_at == NOW + 40 * DAY  # the last send stays the last


def test_the_contacts_row_is_made_from_the_sends_before_it(mailbox: Any) -> None:
    contact = ContactFactory.create()
    sent_invitation(csat_survey(), contact, now=NOW)  # sent before the contact had a row (the demo's history)
    assert not Recipient.objects.filter(contact=contact).exists()

    throttled = invitation_send(invitation_id=_invited(contact, NOW, "b").pk, now=NOW + 10 * DAY)

    assert throttled.status == InvitationStatus.THROTTLED
    assert "2026-11-02" in throttled.reason
    assert Recipient.objects.get(contact=contact).last_sent_at == NOW


def test_a_send_holds_the_next_back_after_its_survey_is_deleted(mailbox: Any) -> None:
    """The customer had the e-mail: the contact's row remembers it."""
    contact = ContactFactory.create()
    first = _invited(contact, NOW, "a")
    invitation_send(invitation_id=first.pk, now=NOW)
    survey_delete(survey=first.survey, actor=UserFactory.create(role=Role.SUPERVISOR))

    assert invitation_send(invitation_id=_invited(contact, NOW, "b").pk, now=NOW + 10 * DAY).status == (
        InvitationStatus.THROTTLED
    )


def test_an_opted_out_contact_gets_no_survey_and_no_reminder(mailbox: Any) -> None:
    survey = csat_survey()
    contact = ContactFactory.create()
    reminded = sent_invitation(survey, contact, next_reminder_at=NOW + DAY)
    scheduled = invitation_schedule(survey=survey, contact=contact, occasion="later", now=NOW)
    assert scheduled is not None
    contact_opt_out(contact=contact, actor=None, now=NOW)
    again = invitation_schedule(survey=survey, contact=contact, occasion="again", now=NOW + 40 * DAY)
    assert again is not None

    surveys_sweep(now=NOW + 40 * DAY)

    assert Invitation.objects.get(pk=scheduled.pk).status == InvitationStatus.OPTED_OUT
    assert Invitation.objects.get(pk=again.pk).status == InvitationStatus.OPTED_OUT
    assert Invitation.objects.get(pk=reminded.pk).next_reminder_at is None
    assert not OutboundEmail.objects.exists()


def test_without_an_address_or_a_mailbox_the_invitation_is_undeliverable() -> None:
    survey = csat_survey()
    contact = Contact.objects.create(name="No mail")
    invitation = invitation_schedule(survey=survey, contact=contact, occasion="x", now=NOW)
    assert invitation is not None
    assert invitation_send(invitation_id=invitation.pk, now=NOW).status == InvitationStatus.UNDELIVERABLE
    with_address = invitation_schedule(survey=survey, contact=ContactFactory.create(), occasion="x", now=NOW)
    assert with_address is not None
    assert invitation_send(invitation_id=with_address.pk, now=NOW).status == InvitationStatus.UNDELIVERABLE


def test_reminders_go_to_those_who_have_not_answered_up_to_the_surveys_count(mailbox: Any) -> None:
    survey = csat_survey(reminders=2, reminder_after_hours=48)
    quiet = sent_invitation(survey, next_reminder_at=NOW, to_address="quiet@guests.example")
    answered = sent_invitation(survey, next_reminder_at=NOW, to_address="answered@guests.example")
    answers_record(invitation=answered, answers=scores(answered, csat=5), now=NOW)

    assert reminders_send_due(now=NOW) == 1
    assert reminders_send_due(now=NOW + DAY) == 0
    assert reminders_send_due(now=NOW + 2 * DAY) == 1
    assert reminders_send_due(now=NOW + 10 * DAY) == 0

    quiet.refresh_from_db()
    assert (quiet.reminders_sent, quiet.next_reminder_at) == (2, None)
    reminders = OutboundEmail.objects.filter(kind=OutboundKind.SURVEY)
    assert [o.to_address for o in reminders] == ["quiet@guests.example"] * 2
    subject = message_from_bytes(bytes(reminders[0].raw), policy=policy.default)["Subject"]
    assert subject.startswith("Reminder:")


def test_a_milestone_survey_goes_once_per_contact_and_occasion() -> None:
    survey = csat_survey(trigger=Trigger.MILESTONE)
    admin = UserFactory.create(role=Role.ADMIN)
    contact = ContactFactory.create()
    invitation = invitation_send_milestone(survey=survey, contact=contact, occasion="go-live", actor=admin, now=NOW)
    assert invitation.send_at == NOW
    with pytest.raises(Conflict):
        invitation_send_milestone(survey=survey, contact=contact, occasion="go-live", actor=admin, now=NOW)
    with pytest.raises(ValidationError):
        invitation_send_milestone(survey=csat_survey(), contact=contact, occasion="x", actor=admin, now=NOW)


def test_a_relationship_round_reaches_several_contacts_of_each_organisation_and_schedules_the_next() -> None:
    supervisor = UserFactory.create(role=Role.SUPERVISOR)
    acme, globex = OrganisationFactory.create(), OrganisationFactory.create()
    acme_contacts = [ContactFactory.create(organisation=organisation) for organisation in (acme, acme, acme)]
    ContactFactory.create(organisation=globex)
    Contact.objects.create(name="No address", organisation=globex)
    survey = survey_save(
        actor=supervisor,
        now=NOW,
        name="Quarterly",
        kind=SurveyKind.RELATIONSHIP,
        organisations=[acme, globex],
        contacts_per_organisation=2,
        every_months=3,
        next_round_at=datetime(2026, 11, 30, 9, tzinfo=UTC),
        questions=[QuestionInput(kind=QuestionKind.NPS), QuestionInput(kind=QuestionKind.CSAT, topic="response_time")],
    )

    assert relationship_rounds_run(now=NOW) == 0
    assert relationship_rounds_run(now=datetime(2026, 11, 30, 10, tzinfo=UTC)) == 3
    assert relationship_rounds_run(now=datetime(2026, 12, 1, tzinfo=UTC)) == 0

    survey.refresh_from_db()
    assert survey.next_round_at == datetime(2027, 2, 28, 9, tzinfo=UTC)
    assert Invitation.objects.filter(organisation=acme).count() == 2
    assert set(Invitation.objects.filter(organisation=acme).values_list("contact", flat=True)) == {
        contact.pk
        for contact in acme_contacts[1:]  # the newest two
    }
    assert set(Invitation.objects.values_list("occasion", flat=True)) == {"round 2026-11-30"}


def _reads(queries: CaptureQueriesContext, *tables: str) -> list[str]:
    """The SELECTs among the captured queries that read any of the tables."""
    selects = [query["sql"] for query in queries.captured_queries if query["sql"].lstrip().startswith("SELECT")]
    return [sql for sql in selects if any(f'"{table}"' in sql for table in tables)]


def test_a_relationship_round_reads_its_contacts_and_their_organisations_in_one_query() -> None:
    organisations = OrganisationFactory.create_batch(4)
    for organisation in organisations:
        ContactFactory.create_batch(2, organisation=organisation)
    survey_save(
        actor=UserFactory.create(role=Role.SUPERVISOR),
        now=NOW,
        name="Quarterly",
        kind=SurveyKind.RELATIONSHIP,
        organisations=organisations,
        contacts_per_organisation=2,
        questions=[QuestionInput(kind=QuestionKind.NPS)],
    )

    with CaptureQueriesContext(connection) as queries:
        assert relationship_rounds_run(now=NOW) == 8

    assert len(_reads(queries, "accounts_contact", "accounts_organisation")) == 1


# --- answers and the closed loop ---------------------------------------------------------


def test_an_answer_counts_for_the_agent_and_team_who_had_the_ticket_when_it_was_solved(
    mailbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from frontdesk.surveys import scores as figures

    csat_survey(delay_minutes=0)
    first_team, second_team = TeamFactory.create(), TeamFactory.create()
    first_agent, second_agent = UserFactory.create(), UserFactory.create()
    ticket = new_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(assignee=first_agent, team=first_team)
    solve(Ticket.objects.get(pk=ticket.pk), django_capture_on_commit_callbacks)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=second_agent, team=second_team)  # reassigned later
    invitation = invitation_send(invitation_id=Invitation.objects.get().pk, now=NOW)
    answers_record(invitation=invitation, answers=scores(invitation, csat=5), now=NOW + DAY)

    for dimension, expected in (("agent", first_agent.pk), ("team", first_team.pk)):
        rows = figures.breakdown(start=NOW - DAY, end=NOW + 2 * DAY, dimension=dimension)
        assert [(row.key, row.summary.csat_answers, row.summary.sent) for row in rows] == [(str(expected), 1, 1)]


def test_a_dissatisfied_answer_opens_a_follow_up_for_the_tickets_team_lead_due_in_two_days() -> None:
    lead = UserFactory.create(role=Role.SUPERVISOR)
    team = TeamFactory.create(lead=lead)
    invitation = sent_invitation(csat_survey(), team=team)

    answers_record(
        invitation=invitation, answers=scores(invitation, csat=1, comment="Nobody told me anything"), now=NOW
    )

    follow_up = FollowUp.objects.get()
    assert (follow_up.owner, follow_up.team, follow_up.level) == (lead, team, FollowUpLevel.DISSATISFIED)
    assert follow_up.due_at == NOW + 2 * DAY
    assert follow_up.answer.score == 1
    assert Notification.objects.get(recipient=lead).kind == "survey.follow_up"
    assert StaffEmail.objects.filter(recipient=lead).count() == 1
    invitation.refresh_from_db()
    assert (invitation.status, invitation.answered_at) == (InvitationStatus.ANSWERED, NOW)


def test_without_a_team_the_account_owner_then_the_business_unit_owns_the_follow_up() -> None:
    owner = UserFactory.create()
    unit_lead = UserFactory.create()
    unit = TeamFactory.create(lead=unit_lead)
    survey = csat_survey(followup_team=unit)
    account = sent_invitation(survey, organisation=OrganisationFactory.create(owner=owner))
    nobody = sent_invitation(survey)

    answers_record(invitation=account, answers=scores(account, yes_no=0), now=NOW)
    answers_record(invitation=nobody, answers=scores(nobody, csat=2), now=NOW)

    assert FollowUp.objects.get(invitation=account).owner == owner
    assert (FollowUp.objects.get(invitation=nobody).owner, FollowUp.objects.get(invitation=nobody).team) == (
        unit_lead,
        unit,
    )


def test_merely_satisfied_key_accounts_get_a_lower_priority_follow_up_with_the_managers_days() -> None:
    survey = csat_survey(satisfied_followup_days=10)
    key = sent_invitation(survey, organisation=OrganisationFactory.create(key_account=True))
    ordinary = sent_invitation(survey, organisation=OrganisationFactory.create())
    delighted = sent_invitation(survey, organisation=OrganisationFactory.create(key_account=True))

    for invitation, score in ((key, 4), (ordinary, 4), (delighted, 5)):
        answers_record(invitation=invitation, answers=scores(invitation, csat=score), now=NOW)

    follow_up = FollowUp.objects.get()
    assert (follow_up.invitation, follow_up.level, follow_up.due_at) == (key, FollowUpLevel.SATISFIED, NOW + 10 * DAY)
    answers_record(invitation=key, answers=scores(key, yes_no=0), now=NOW + DAY)
    follow_up.refresh_from_db()
    assert (follow_up.level, follow_up.due_at) == (FollowUpLevel.DISSATISFIED, NOW + 3 * DAY)


def test_an_answer_given_again_replaces_the_first_and_bad_values_change_nothing() -> None:
    invitation = sent_invitation(csat_survey())
    answers_record(invitation=invitation, answers=scores(invitation, csat=3), now=NOW)
    answers_record(invitation=invitation, answers=scores(invitation, csat=5), now=NOW + DAY)
    with pytest.raises(ValidationError):
        answers_record(invitation=invitation, answers=scores(invitation, csat=6, comment="Great"), now=NOW)

    (answer,) = Answer.objects.all()
    assert (answer.score, answer.answered_at) == (5, NOW + DAY)


def test_comments_are_analysed_when_answered() -> None:
    invitation = sent_invitation(csat_survey())
    answers_record(
        invitation=invitation,
        answers=scores(invitation, comment="La recepción fue muy lenta y nadie nos dio información."),
        now=NOW,
    )
    answer = Answer.objects.get(kind=QuestionKind.COMMENT)
    assert answer.language == "es"
    assert answer.sentiment_label == "negative"
    assert answer.themes


def test_answers_are_refused_for_unsent_and_expired_invitations() -> None:
    survey = csat_survey()
    scheduled = invitation_schedule(survey=survey, contact=ContactFactory.create(), occasion="x", now=NOW)
    assert scheduled is not None
    with pytest.raises(Conflict):
        answers_record(invitation=scheduled, answers=scores(scheduled, csat=1), now=NOW)
    old = sent_invitation(survey)
    with pytest.raises(Conflict):
        answers_record(invitation=old, answers=scores(old, csat=1), now=NOW + 61 * DAY)
    assert not Answer.objects.exists()


def test_closing_a_follow_up_needs_an_action_plan_and_an_outcome() -> None:
    lead = UserFactory.create()
    invitation = sent_invitation(csat_survey(), team=TeamFactory.create(lead=lead))
    answers_record(invitation=invitation, answers=scores(invitation, csat=1), now=NOW)
    follow_up = FollowUp.objects.get()
    with pytest.raises(ValidationError):
        followup_close(follow_up=follow_up, actor=lead, action_plan="Call them", outcome=" ", now=NOW)
    assert FollowUp.objects.get().status == FollowUpStatus.OPEN
    followup_close(follow_up=follow_up, actor=lead, action_plan="Call them", outcome="Refunded one night", now=NOW)
    assert FollowUp.objects.get().status == FollowUpStatus.CLOSED


def test_overdue_follow_ups_escalate_to_supervisors_once() -> None:
    supervisor = UserFactory.create(role=Role.SUPERVISOR)
    invitation = sent_invitation(csat_survey(), team=TeamFactory.create(lead=UserFactory.create()))
    answers_record(invitation=invitation, answers=scores(invitation, csat=1), now=NOW)

    assert followups_escalate_due(now=NOW + DAY) == 0
    assert followups_escalate_due(now=NOW + 2 * DAY) == 1
    assert followups_escalate_due(now=NOW + 3 * DAY) == 0
    assert Notification.objects.filter(recipient=supervisor, kind="survey.follow_up_overdue").count() == 1
    assert FollowUp.objects.get().escalated_at == NOW + 2 * DAY


# --- configuration and the digest ----------------------------------------------------------


def test_survey_save_checks_its_input_and_changes_nothing_on_error() -> None:
    supervisor = UserFactory.create(role=Role.SUPERVISOR)
    with pytest.raises(ValidationError):
        survey_save(actor=supervisor, now=NOW, name="Bad", trigger=Trigger.TICKET_SOLVED, questions=[])
    with pytest.raises(ValidationError):
        survey_save(
            actor=supervisor,
            now=NOW,
            name="Bad",
            trigger=Trigger.TICKET_SOLVED,
            questions=[QuestionInput(kind=QuestionKind.CSAT, alert_at_most=9)],
        )
    with pytest.raises(ValidationError):
        survey_save(
            actor=supervisor,
            now=NOW,
            name="Bad",
            trigger=Trigger.TICKET_SOLVED,
            questions=[QuestionInput(kind=QuestionKind.CHOICE, text={"en": "Which?"}, choices={"en": ["Only one"]})],
        )
    assert not Survey.objects.exists()
    agent = UserFactory.create()
    with pytest.raises(PermissionDenied):
        survey_save(actor=agent, now=NOW, name="Mine", trigger="ticket_solved", questions=[QuestionInput(kind="csat")])


def test_editing_a_survey_keeps_the_questions_that_kept_their_kind() -> None:
    supervisor = UserFactory.create(role=Role.SUPERVISOR)
    survey = survey_save(
        actor=supervisor,
        now=NOW,
        name="After ticket",
        trigger=Trigger.TICKET_SOLVED,
        questions=[QuestionInput(kind=QuestionKind.CSAT), QuestionInput(kind=QuestionKind.COMMENT)],
    )
    csat = survey.questions.get(kind=QuestionKind.CSAT)
    survey_save(
        actor=supervisor,
        survey=survey,
        now=NOW,
        name="After ticket",
        trigger=Trigger.TICKET_SOLVED,
        questions=[
            QuestionInput(kind=QuestionKind.CSAT, text={"es": "¿Qué tal?"}),
            QuestionInput(kind=QuestionKind.NPS),
        ],
    )
    kept = survey.questions.get(kind=QuestionKind.CSAT)
    assert kept.pk == csat.pk
    assert kept.text == {"es": "¿Qué tal?"}
    assert list(survey.questions.values_list("kind", flat=True)) == ["csat", "nps"]


def test_the_weekly_digest_goes_to_managers_once_from_monday_seven() -> None:
    supervisor = UserFactory.create(role=Role.SUPERVISOR, email="sup@example.com")
    UserFactory.create(role=Role.AGENT)
    invitation = sent_invitation(csat_survey(), now=NOW + 3 * DAY)
    answers_record(invitation=invitation, answers=scores(invitation, csat=5), now=NOW + 3 * DAY)
    monday = datetime(2026, 11, 9, 6, 30, tzinfo=UTC)  # site time is UTC in tests

    assert digest_queue(now=monday) == 0
    assert digest_queue(now=monday + timedelta(hours=1)) == 1
    assert digest_queue(now=monday + timedelta(hours=2)) == 0
    email = StaffEmail.objects.get()
    assert email.recipient == supervisor
    assert "CSAT: 100.0 % (— %), 1 answer" in email.body


def test_the_digest_asks_once_who_has_it_already_however_many_managers() -> None:
    UserFactory.create_batch(4, role=Role.SUPERVISOR)
    monday = datetime(2026, 11, 9, 8, tzinfo=UTC)
    assert digest_queue(now=monday) == 4
    UserFactory.create(role=Role.ADMIN)

    with CaptureQueriesContext(connection) as queries:
        assert digest_queue(now=monday + timedelta(hours=1)) == 1  # the newcomer only

    assert len(_reads(queries, "notifications_staffemail")) == 1


def test_opt_out_is_a_single_row_however_often_it_is_asked() -> None:
    contact = ContactFactory.create()
    contact_opt_out(contact=contact, actor=None, now=NOW)
    contact_opt_out(contact=contact, actor=None, now=NOW + DAY)
    assert OptOut.objects.get().created_at == NOW
    assert ContactIdentity.objects.filter(contact=contact).exists()


def test_a_batch_of_sends_reads_the_programme_once(mailbox: Any) -> None:
    survey = csat_survey()
    for n in range(3):
        invitation_schedule(survey=survey, contact=ContactFactory.create(), occasion=f"o{n}", now=NOW)

    with CaptureQueriesContext(connection) as queries:
        assert invitations_send_due(now=NOW) == 3

    assert len(_reads(queries, "surveys_programme")) == 1
    assert Invitation.objects.filter(status=InvitationStatus.SENT).count() == 3


def test_the_sweep_sends_what_is_due_and_leaves_what_is_not(mailbox: Any) -> None:
    survey = csat_survey(delay_minutes=60)
    due = invitation_schedule(survey=survey, contact=ContactFactory.create(), ticket=new_ticket(), now=NOW)
    later = invitation_schedule(survey=survey, contact=ContactFactory.create(), ticket=new_ticket(), now=NOW + DAY)
    assert due is not None
    assert later is not None
    assert invitations_send_due(now=NOW + timedelta(hours=2)) == 1
    assert Invitation.objects.get(pk=later.pk).status == InvitationStatus.SCHEDULED
