"""FB4 end to end: a ticket is solved, the survey e-mail leaves through the outbox, the customer
clicks "1" in it, and within one sweep the follow-up exists with its owner and due date, announced
to the owner."""

import re
from datetime import timedelta
from email import message_from_bytes, policy
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client

from frontdesk.accounts.models import Role
from frontdesk.accounts.tests.factories import TeamFactory, UserFactory
from frontdesk.mail.models import OutboundEmail, OutboundKind
from frontdesk.mail.tests.factories import MailboxFactory
from frontdesk.notifications.models import Notification
from frontdesk.surveys.models import FollowUp, FollowUpLevel, Invitation, InvitationStatus
from frontdesk.surveys.services import surveys_sweep
from frontdesk.surveys.tests.factories import csat_survey
from frontdesk.tickets.models import Status, Ticket
from frontdesk.tickets.services import ticket_update
from frontdesk.tickets.tests.factories import NOW, new_ticket

pytestmark = pytest.mark.django_db


def test_a_customer_clicks_1_in_the_csat_email_and_the_follow_up_exists_after_one_sweep(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    MailboxFactory.create(smtp_url="smtp://127.0.0.1:2525")
    lead = UserFactory.create(role=Role.SUPERVISOR, name="Isabel")
    agent = UserFactory.create()
    team = TeamFactory.create(lead=lead, members=[agent])
    csat_survey(delay_minutes=60)
    ticket = new_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(team=team, assignee=agent)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=Ticket.objects.get(pk=ticket.pk), actor=agent, status=Status.SOLVED, now=NOW)

    # The sweep an hour later sends the survey; the customer reads it and clicks "1".
    assert surveys_sweep(now=NOW + timedelta(hours=1))["sent"] == 1
    raw = OutboundEmail.objects.get(kind=OutboundKind.SURVEY).raw
    text = message_from_bytes(bytes(raw), policy=policy.default).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = re.search(r"  1: (\S+)", text)
    assert link is not None
    clicked = NOW + timedelta(hours=5)
    with time_machine.travel(clicked, tick=False):
        response = client.get(urlsplit(link.group(1)).path)
        assert response.status_code == 200
        surveys_sweep(now=clicked)

    follow_up = FollowUp.objects.get()
    assert follow_up.invitation.ticket_id == ticket.pk
    assert follow_up.level == FollowUpLevel.DISSATISFIED
    assert follow_up.owner == lead
    assert follow_up.team == team
    assert follow_up.due_at == clicked + timedelta(days=2)
    assert follow_up.answer.score == 1
    assert Invitation.objects.get().status == InvitationStatus.ANSWERED
    assert Notification.objects.filter(recipient=lead, kind="survey.follow_up").exists()
