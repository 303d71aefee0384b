"""The agent's notifications in the workspace: the bell in the header and the notifications page."""

from datetime import timedelta

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Team, User
from frontdesk.accounts.tests.factories import UserFactory
from frontdesk.notifications.models import Notification
from frontdesk.notifications.services import notify
from frontdesk.tickets.models import Ticket
from frontdesk.tickets.tests.factories import TicketFactory
from frontdesk.workspace.tests.conftest import NOW, client_for

pytestmark = pytest.mark.django_db


def notification(
    user: User, title: str = "SLA warning", ticket: Ticket | None = None, at: object = NOW
) -> Notification:
    [row] = notify(recipients=[user], kind="sla.warning", title=title, ticket=ticket, now=at)  # type: ignore[arg-type]
    return row


def test_the_bell_shows_how_many_notifications_are_unread(agent_client: Client, agent: User) -> None:
    notification(agent)
    notification(agent)
    read = notification(agent)
    Notification.objects.filter(pk=read.pk).update(read_at=NOW)
    notification(UserFactory.create())  # someone else's

    content = agent_client.get("/views/open/").content.decode()

    assert '<span class="bell-count" data-unread>2</span>' in content
    assert 'aria-label="Notifications: 2 unread"' in content


def test_the_bell_has_no_count_when_everything_is_read(agent_client: Client) -> None:
    content = agent_client.get("/views/open/").content.decode()

    assert 'id="notification-bell"' in content
    assert "bell-count" not in content


def test_the_bell_is_read_with_the_user_and_costs_no_query_of_its_own(
    agent_client: Client, agent: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    for _ in range(3):
        notification(agent)

    with django_assert_num_queries(2):  # session, user (with their unread count)
        response = agent_client.get("/notifications/bell/")

    assert '<span class="bell-count" data-unread>3</span>' in response.content.decode()
    assert 'hx-trigger="fd:notification from:body"' in response.content.decode()


def test_more_than_99_unread_read_99_plus(agent_client: Client, agent: User) -> None:
    Notification.objects.bulk_create(
        Notification(recipient=agent, kind="sla.warning", title="x", created_at=NOW) for _ in range(100)
    )

    assert b"data-unread>99+</span>" in agent_client.get("/notifications/bell/").content


def test_the_page_lists_own_notifications_newest_first_unread_highlighted(
    agent_client: Client, agent: User, team: Team
) -> None:
    ticket = TicketFactory.create(team=team, subject="Late check-in")
    older = notification(agent, "SLA warning: 75 % used", ticket=ticket, at=NOW - timedelta(hours=1))
    newer = notification(agent, "SLA breached: First response", ticket=ticket)
    Notification.objects.filter(pk=older.pk).update(read_at=NOW)
    notification(UserFactory.create(), "Not for Ana")

    response = agent_client.get("/notifications/")

    content = response.content.decode()
    assert [n.pk for n in response.context["notifications"]] == [newer.pk, older.pk]
    assert f'<li class="notification is-unread" data-notification="{newer.pk}">' in content
    assert f'<li class="notification" data-notification="{older.pk}">' in content
    assert f'href="/notifications/{newer.pk}/"' in content
    assert f"#{ticket.pk} Late check-in" in content
    assert "Not for Ana" not in content
    assert "Mark all read" in content


def test_opening_a_notification_marks_it_read_and_leads_to_its_ticket(
    agent_client: Client, agent: User, team: Team
) -> None:
    ticket = TicketFactory.create(team=team)
    opened, other = notification(agent, ticket=ticket), notification(agent)

    response = agent_client.get(f"/notifications/{opened.pk}/")

    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.pk}/"
    assert Notification.objects.get(pk=opened.pk).read_at is not None
    assert Notification.objects.get(pk=other.pk).read_at is None


def test_a_notification_without_a_ticket_leads_back_to_the_list(agent_client: Client, agent: User) -> None:
    response = agent_client.get(f"/notifications/{notification(agent).pk}/")

    assert response["Location"] == "/notifications/"


def test_nobody_opens_another_persons_notification(agent_client: Client) -> None:
    theirs = notification(UserFactory.create())

    assert agent_client.get(f"/notifications/{theirs.pk}/").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_mark_all_read_marks_only_ones_own(agent_client: Client, agent: User) -> None:
    mine = [notification(agent) for _ in range(3)]
    theirs = notification(UserFactory.create())

    response = agent_client.post("/notifications/read/")

    assert response["Location"] == "/notifications/"
    assert Notification.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True).count() == 0
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert agent_client.get("/notifications/read/").status_code == 405


def test_the_page_goes_back_fifty_at_a_time(agent_client: Client, agent: User) -> None:
    rows = [notification(agent, f"n{i}", at=NOW - timedelta(minutes=i % 5)) for i in range(53)]
    expected = sorted(rows, key=lambda n: (n.created_at, n.pk), reverse=True)

    first = agent_client.get("/notifications/")
    second = agent_client.get(f"/notifications/?cursor={first.context['next_cursor']}")

    assert [n.pk for n in first.context["notifications"] + second.context["notifications"]] == [n.pk for n in expected]
    assert second.context["next_cursor"] is None
    assert "Older →" in first.content.decode()


def test_a_broken_cursor_is_a_bad_request(agent_client: Client) -> None:
    assert agent_client.get("/notifications/?cursor=!!!").status_code == 400


def test_signed_out_visitors_are_sent_to_sign_in(client: Client) -> None:
    assert client.get("/notifications/")["Location"].startswith("/login/")


def test_the_page_costs_a_fixed_number_of_queries(
    agent: User, team: Team, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(20):
        notification(agent, ticket=TicketFactory.create(team=team, subject=f"Ticket {n}"))
    client = client_for(agent)

    # session, user, agent's teams, 6 view counts, the notifications with their tickets
    with django_assert_max_num_queries(10):
        client.get("/notifications/")
