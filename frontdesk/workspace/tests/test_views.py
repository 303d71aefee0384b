from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Role, Team, User
from frontdesk.accounts.services import contact_merge
from frontdesk.accounts.tests.factories import ContactFactory, TeamFactory, UserFactory
from frontdesk.tickets.models import Attachment, EventKind, MessageKind, Status, Ticket
from frontdesk.tickets.services import ticket_add_note, ticket_escalate_to_manager, ticket_reply, ticket_update
from frontdesk.tickets.tests.factories import TicketFactory, new_ticket
from frontdesk.workspace.tests.conftest import NOW, client_for

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


# --- signing in ------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in(client: Client) -> None:
    response = client.get("/views/open/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/views/open/"


def test_agent_signs_in_with_email_and_lands_on_open_view(client: Client, agent: User) -> None:
    page = client.get("/login/")
    signed_in = client.post("/login/", {"username": agent.email, "password": "correct horse battery"})
    landing = client.get(signed_in["Location"])

    assert page.status_code == 200
    assert signed_in.status_code == 302
    assert landing["Location"] == "/views/open/"


def test_wrong_password_shows_an_error_on_the_sign_in_page(client: Client, agent: User) -> None:
    response = client.post("/login/", {"username": agent.email, "password": "wrong"})

    assert response.status_code == 200
    assert b"form-error" in response.content


def test_sign_out_ends_the_session(agent_client: Client) -> None:
    agent_client.post("/logout/")

    assert agent_client.get("/views/open/").status_code == 302


def test_language_switch_translates_the_workspace(agent_client: Client) -> None:
    agent_client.post("/i18n/setlang/", {"language": "es", "next": "/views/open/"})
    spanish = agent_client.get("/views/open/").content.decode()
    agent_client.post("/i18n/setlang/", {"language": "lt", "next": "/views/open/"})
    lithuanian = agent_client.get("/views/open/").content.decode()

    assert "Sin asignar" in spanish  # "Unassigned"
    assert "Cerrar sesión" in spanish  # "Sign out"
    assert "Nepriskirti" in lithuanian
    assert "Atsijungti" in lithuanian


# --- inbox -------------------------------------------------------------------------------


def test_root_redirects_to_open_view(agent_client: Client) -> None:
    response = agent_client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/views/open/"


def test_inbox_lists_visible_tickets_newest_activity_first(agent_client: Client, team: Team) -> None:
    older = TicketFactory.create(team=team, subject="Towels", last_activity_at=NOW - timedelta(hours=2))
    newer = TicketFactory.create(team=team, subject="Parking", last_activity_at=NOW)
    TicketFactory.create(team=TeamFactory.create(), subject="Someone else's")

    response = agent_client.get("/views/open/")

    assert [ticket.pk for ticket in response.context["page"].items] == [newer.pk, older.pk]
    assert "Someone else&#x27;s" not in response.content.decode()


def test_every_view_shows_its_count_in_the_sidebar(agent_client: Client, agent: User, team: Team) -> None:
    TicketFactory.create(team=team, status=Status.OPEN, assignee=agent, awaiting_agent=True)
    TicketFactory.create(team=team, status=Status.PENDING)
    TicketFactory.create(team=team, status=Status.NEW, needs_manager=True)

    response = agent_client.get("/views/all/")

    counts = {view["slug"]: view["count"] for view in response.context["views"]}
    assert counts == {"my-unanswered": 1, "unassigned": 2, "open": 2, "pending": 1, "needs-manager": 1, "all": 3}
    assert b'data-count="pending">1<' in response.content


def test_counts_beyond_the_cap_read_1000_plus(agent_client: Client) -> None:
    Ticket.objects.bulk_create(TicketFactory.build(requester=ContactFactory.create(), team=None) for _ in range(1001))

    response = agent_client.get("/nav/counts/?active=all")

    assert b'data-count="all">1000+<' in response.content


def test_inbox_filters_by_status_team_and_text(agent_client: Client, agent: User, team: Team) -> None:
    other_team = TeamFactory.create(members=[agent])
    parking = new_ticket(subject="Parking garage height", team=team)
    new_ticket(subject="Parking for a van", team=other_team)
    new_ticket(subject="Breakfast hours", team=team)

    response = agent_client.get(f"/views/all/?team={team.pk}&q=parking&status=new")

    assert [ticket.pk for ticket in response.context["page"].items] == [parking.pk]


def test_inbox_row_shows_the_tickets_state_in_the_agents_language(
    agent_client: Client, agent: User, team: Team
) -> None:
    ticket = TicketFactory.create(
        team=team, assignee=agent, status=Status.PENDING, priority="high", awaiting_agent=True, subject="Late <x>"
    )
    ticket_update(ticket=ticket, actor=agent, tags=["vip"], now=NOW)
    agent_client.post("/i18n/setlang/", {"language": "es", "next": "/"})

    content = agent_client.get("/views/all/").content.decode()

    link = f'class="ticket-row is-awaiting" role="listitem" href="/tickets/{ticket.pk}/" data-ticket-row="{ticket.pk}"'
    assert link in content
    assert "Late &lt;x&gt;</span>" in content
    assert '<span class="tag">vip</span>' in content
    assert '<span class="badge status-pending">Pendiente</span>' in content
    assert '<span class="col-priority priority-high">Alta</span>' in content
    assert '<span class="col-team">Reservations</span>' in content
    assert '<span class="col-assignee">Ana Agent</span>' in content


def test_filter_values_that_do_not_parse_are_ignored(agent_client: Client, team: Team) -> None:
    ticket = TicketFactory.create(team=team)

    response = agent_client.get("/views/all/?team=abc&status=nonsense&assignee=-")

    assert response.status_code == 200
    assert [t.pk for t in response.context["page"].items] == [ticket.pk]


def test_inbox_pages_25_at_a_time_with_an_older_link(agent_client: Client, team: Team) -> None:
    tickets = [TicketFactory.create(team=team, last_activity_at=NOW - timedelta(minutes=i)) for i in range(27)]

    first = agent_client.get("/views/all/")
    older_link = first.context["page"].next_cursor
    second = agent_client.get(f"/views/all/?cursor={older_link}")

    assert len(first.context["page"].items) == 25
    assert "Older →" in first.content.decode()
    assert [t.pk for t in second.context["page"].items] == [t.pk for t in tickets[25:]]
    assert second.context["page"].next_cursor is None


def test_a_broken_cursor_is_a_bad_request(agent_client: Client) -> None:
    assert agent_client.get("/views/all/?cursor=!!!").status_code == 400


def test_unknown_view_is_not_found(agent_client: Client) -> None:
    assert agent_client.get("/views/everything/").status_code == 404


def test_htmx_refresh_returns_only_the_list(agent_client: Client, team: Team) -> None:
    TicketFactory.create(team=team, subject="Late checkout")

    response = agent_client.get("/views/open/", headers=HTMX)

    content = response.content.decode()
    assert content.startswith('<section id="inbox-results"')
    assert "Late checkout" in content
    assert "<html" not in content


def test_inbox_queries_do_not_grow_with_the_number_of_tickets(
    agent_client: Client, agent: User, team: Team, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(30):
        ticket = TicketFactory.create(team=team, assignee=agent if n % 2 else None, status=Status.OPEN)
        ticket_update(ticket=ticket, actor=agent, tags=["vip", f"t{n}"], now=NOW)

    # session, user with their shift state, teams of the agent, the 6 view counts (one statement),
    # team and agent filter choices, and the page: one key query per visibility rule (the team,
    # theirs, unrouted) and status (new, open), then the page's tickets and their tags
    with django_assert_max_num_queries(14):
        response = agent_client.get("/views/open/")

    assert len(response.context["page"].items) == 25


# --- ticket page -------------------------------------------------------------------------


def test_ticket_page_shows_conversation_with_notes_apart(agent_client: Client, agent: User, team: Team) -> None:
    ticket = new_ticket(team=team)
    ticket_reply(ticket=ticket, author=agent, body_text="Yes, the key box code is 4711.", now=NOW)
    ticket_add_note(ticket=ticket, author=agent, body_text="Guest is a regular.", now=NOW)

    content = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert "We arrive at 23:00" in content
    assert 'class="message message--agent"' in content
    assert 'class="message message--note"' in content
    assert content.index("key box code") < content.index("Guest is a regular.")


def test_ticket_page_shows_readable_history(agent_client: Client, agent: User, team: Team) -> None:
    ticket = new_ticket(team=team)
    ticket_update(ticket=ticket, actor=agent, priority="high", now=NOW)
    ticket_escalate_to_manager(ticket=ticket, actor=agent, reason="Guest asks for a refund", now=NOW)

    content = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert "changed priority from Normal to High" in content
    assert "asked for a manager: <q>Guest asks for a refund</q>" in content


def test_history_reads_in_the_agents_language(agent_client: Client, agent: User, team: Team) -> None:
    ticket = new_ticket(team=team)
    ticket_update(ticket=ticket, actor=agent, priority="high", now=NOW)
    agent_client.post("/i18n/setlang/", {"language": "es", "next": "/"})

    content = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert "cambió prioridad de Normal a Alta" in content


def test_ticket_page_lists_the_requesters_other_tickets(agent_client: Client, team: Team) -> None:
    guest = ContactFactory.create()
    ticket = new_ticket(team=team, requester=guest)
    earlier = new_ticket(team=team, requester=guest, subject="Invoice for March")

    response = agent_client.get(f"/tickets/{ticket.pk}/")

    assert response.context["other_tickets"] == [earlier]


def test_ticket_page_shows_labels_and_links_in_the_agents_language(agent_client: Client, team: Team) -> None:
    guest = ContactFactory.create()
    ticket = new_ticket(team=team, requester=guest, channel="chat")
    earlier = new_ticket(team=team, requester=guest, subject="Invoice for March")
    agent_client.post("/i18n/setlang/", {"language": "es", "next": "/"})

    content = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert '<span class="badge status-new">Nuevo</span>' in content
    assert f'<a href="/tickets/{earlier.pk}/">#{earlier.pk} Invoice for March</a>' in content
    assert f'<a href="/contacts/{guest.pk}/">' in content


def test_ticket_page_queries_do_not_grow_with_messages(
    agent_client: Client, agent: User, team: Team, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    ticket = new_ticket(team=team, tags=["vip"])
    for n in range(10):
        upload = SimpleUploadedFile(f"photo{n}.png", b"\x89PNG\r\n\x1a\n....", content_type="image/png")
        ticket_add_note(ticket=ticket, author=agent, body_text=f"note {n}", attachments=[upload], now=NOW)
        ticket_update(ticket=ticket, actor=agent, priority="high" if n % 2 else "low", now=NOW)
    for _ in range(5):
        new_ticket(team=team, requester=ticket.requester)

    # session, user (with the unread notifications), ticket (with its tags), teams, agents, SLA
    # clocks, messages (with their e-mails in and out), attachments, history, other tickets
    with django_assert_max_num_queries(10):
        response = agent_client.get(f"/tickets/{ticket.pk}/")

    assert len(response.context["messages_list"]) == 11


def test_a_closed_ticket_page_reads_no_form_choices(
    agent_client: Client, team: Team, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    ticket = new_ticket(team=team, tags=["vip"])
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)

    # as above without the teams and agents: a closed ticket shows no forms, only its properties
    with django_assert_max_num_queries(8):
        content = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert '<dl class="properties-list">' in content
    assert "<dd>vip</dd>" in content
    assert 'id="reply-form"' not in content


def test_reply_with_status_sends_and_marks_pending(agent_client: Client, agent: User, team: Team) -> None:
    ticket = new_ticket(team=team)

    response = agent_client.post(
        f"/tickets/{ticket.pk}/reply/", {"reply-body": "The code is 4711.", "reply-status": "pending"}
    )

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.status == Status.PENDING
    assert ticket.messages.filter(author_agent=agent, kind=MessageKind.REPLY, body_text="The code is 4711.").exists()


def test_htmx_reply_returns_the_changed_parts_of_the_page(agent_client: Client, team: Team) -> None:
    ticket = new_ticket(team=team)

    response = agent_client.post(f"/tickets/{ticket.pk}/reply/", {"reply-body": "On our way!"}, headers=HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    parts = ("ticket-header", "ticket-sla", "ticket-conversation", "ticket-properties", "ticket-history", "reply-form")
    for part in parts:
        assert f'id="{part}"' in content
    assert 'id="note-form"' not in content  # a note being written beside the reply is kept
    assert content.count('hx-swap-oob="true"') == 6
    assert "On our way!" in content


def test_empty_reply_shows_the_services_error_and_changes_nothing(agent_client: Client, team: Team) -> None:
    ticket = new_ticket(team=team)

    response = agent_client.post(f"/tickets/{ticket.pk}/reply/", {"reply-body": "  "}, headers=HTMX)

    assert response.status_code == 422
    assert "The message is empty." in response.content.decode()
    assert ticket.messages.count() == 1


def test_reply_that_breaks_a_transition_keeps_the_text_and_shows_why(agent_client: Client, team: Team) -> None:
    ticket = new_ticket(team=team)

    response = agent_client.post(
        f"/tickets/{ticket.pk}/reply/", {"reply-body": "Hello again", "reply-status": "closed"}
    )

    content = response.content.decode()
    assert response.status_code == 422
    assert "A ticket cannot go from New to Closed." in content
    assert ">Hello again</textarea>" in content
    assert ticket.messages.count() == 1


def test_note_with_attachment_is_downloadable_by_agents_who_see_the_ticket(agent_client: Client, team: Team) -> None:
    ticket = new_ticket(team=team)
    upload = SimpleUploadedFile("floorplan.pdf", b"%PDF-1.4 plan", content_type="application/pdf")

    agent_client.post(f"/tickets/{ticket.pk}/note/", {"note-body": "Plan attached", "note-attachments": [upload]})
    attachment = Attachment.objects.get()
    download = agent_client.get(f"/attachments/{attachment.pk}/")

    assert attachment.message.kind == MessageKind.NOTE
    assert download.status_code == 200
    assert download.getvalue() == b"%PDF-1.4 plan"
    assert download["Content-Disposition"] == 'attachment; filename="floorplan.pdf"'


def test_blocked_attachment_type_is_refused_beside_the_form(agent_client: Client, team: Team) -> None:
    ticket = new_ticket(team=team)
    upload = SimpleUploadedFile("setup.exe", b"MZ....", content_type="application/octet-stream")

    response = agent_client.post(
        f"/tickets/{ticket.pk}/note/", {"note-body": "see file", "note-attachments": [upload]}, headers=HTMX
    )

    assert response.status_code == 422
    assert "setup.exe: files of this type are not accepted." in response.content.decode()
    assert ticket.messages.count() == 1


def test_properties_form_sends_only_what_the_agent_changed(agent_client: Client, agent: User, team: Team) -> None:
    ticket = new_ticket(team=team)
    page = agent_client.get(f"/tickets/{ticket.pk}/")
    seen = page.context["properties_form"].initial
    ticket_update(ticket=ticket, actor=UserFactory.create(role=Role.SUPERVISOR), priority="urgent", now=NOW)

    # The agent's form still shows the old priority; the agent changes only the status and the tags.
    form = {**{f"initial-{k}": v or "" for k, v in seen.items()}, **{k: v or "" for k, v in seen.items()}}
    form.update({"status": "pending", "tags": "vip, late arrival", "assignee": str(agent.pk)})
    response = agent_client.post(f"/tickets/{ticket.pk}/properties/", form)

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert (ticket.status, ticket.priority, ticket.assignee) == (Status.PENDING, "urgent", agent)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["late-arrival", "vip"]


def test_a_status_changed_meanwhile_does_not_block_the_agents_other_changes(agent_client: Client, team: Team) -> None:
    ticket = new_ticket(team=team)
    seen = agent_client.get(f"/tickets/{ticket.pk}/").context["properties_form"].initial
    ticket_update(ticket=ticket, actor=UserFactory.create(role=Role.SUPERVISOR), status="pending", now=NOW)

    form = {**{f"initial-{k}": v or "" for k, v in seen.items()}, **{k: v or "" for k, v in seen.items()}}
    response = agent_client.post(f"/tickets/{ticket.pk}/properties/", {**form, "language": "de"})

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert (ticket.status, ticket.language) == (Status.PENDING, "de")


def test_assignee_outside_the_team_is_refused_next_to_the_field(agent_client: Client, team: Team) -> None:
    ticket = new_ticket(team=team)
    outsider = UserFactory.create(name="Olga Outsider")

    response = agent_client.post(f"/tickets/{ticket.pk}/properties/", {"assignee": str(outsider.pk)}, headers=HTMX)

    ticket.refresh_from_db()
    assert response.status_code == 422
    assert "Olga Outsider is not a member of the team Reservations." in response.content.decode()
    assert ticket.assignee is None


def test_escalation_needs_a_reason(agent_client: Client, team: Team) -> None:
    ticket = new_ticket(team=team)

    response = agent_client.post(f"/tickets/{ticket.pk}/escalate/", {"escalate-reason": ""}, headers=HTMX)

    ticket.refresh_from_db()
    assert response.status_code == 422
    assert "Say why a manager is needed." in response.content.decode()
    assert ticket.needs_manager is False


def test_escalate_to_manager_then_supervisor_resolves_it(agent_client: Client, team: Team) -> None:
    ticket = new_ticket(team=team)
    supervisor = client_for(UserFactory.create(role=Role.SUPERVISOR))

    agent_client.post(f"/tickets/{ticket.pk}/escalate/", {"escalate-reason": "Wants a refund"})
    ticket.refresh_from_db()
    escalated = ticket.needs_manager
    supervisor.post(f"/tickets/{ticket.pk}/resolve-escalation/", {"resolve-note": "Refund approved"})
    ticket.refresh_from_db()

    assert escalated is True
    assert ticket.needs_manager is False
    assert list(ticket.events.values_list("kind", flat=True))[-2:] == [
        EventKind.ESCALATED_TO_MANAGER,
        EventKind.ESCALATION_RESOLVED,
    ]


def test_escalate_to_team_moves_the_ticket_and_unassigns_it(agent_client: Client, agent: User, team: Team) -> None:
    tier2 = TeamFactory.create(name="Tier 2")
    ticket = new_ticket(team=team, assignee=agent)

    response = agent_client.post(
        f"/tickets/{ticket.pk}/escalate-to-team/", {"team-team": str(tier2.pk), "team-reason": "Needs billing access"}
    )

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert (ticket.team, ticket.assignee) == (tier2, None)


# --- contact page ------------------------------------------------------------------------


def test_contact_page_shows_identities_and_timeline_across_channels(agent_client: Client, team: Team) -> None:
    guest = ContactFactory.create(name="Greta Guest", email="greta@example.com")
    by_mail = new_ticket(team=team, requester=guest, channel="email", subject="Parking")
    by_chat = new_ticket(team=team, requester=guest, channel="chat", subject="Wifi password", body_text="No wifi!")

    response = agent_client.get(f"/contacts/{guest.pk}/")

    content = response.content.decode()
    assert "greta@example.com" in content
    assert {t.pk for t in response.context["timeline"]} == {by_mail.pk, by_chat.pk}
    assert "No wifi!" in content


def test_a_merged_contact_leads_to_the_one_it_was_merged_into(agent_client: Client) -> None:
    source, target = ContactFactory.create(), ContactFactory.create()
    contact_merge(source=source, target=target, actor=None, now=NOW)

    response = agent_client.get(f"/contacts/{source.pk}/")

    assert response.status_code == 302
    assert response["Location"] == f"/contacts/{target.pk}/"
