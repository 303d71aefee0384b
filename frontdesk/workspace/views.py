"""The agent workspace: inbox views, the ticket page, the contact page, the agent's
notifications, and routing's pages: the shift bar, the agents and their cards, the team dashboard.

Every view reads the same way: parse the input, `access_*` what it names, call
one service, render. Forms that htmx submits get back the changed parts of the
page (out-of-band swaps); without JavaScript the same forms post and redirect.
"""

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any, Concatenate, ParamSpec

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from frontdesk.accounts.models import EDITOR_ROLES, MANAGER_ROLES, User
from frontdesk.accounts.selectors import (
    access_contact,
    agent_choices,
    agent_list,
    require_agent,
    team_choices,
    team_list,
)
from frontdesk.core.errors import FrontdeskError, NotFound, PermissionDenied
from frontdesk.mail.selectors import failed_email_count, ticket_conversation
from frontdesk.notifications.selectors import notification_list, notification_page
from frontdesk.notifications.services import notifications_mark_read
from frontdesk.routing import services as routing
from frontdesk.routing.models import RoutingProfile
from frontdesk.routing.selectors import access_profile, profile_list, team_dashboard
from frontdesk.sla.selectors import ticket_clocks
from frontdesk.tickets import services
from frontdesk.tickets.models import TRANSITIONS, Message, Status, Ticket
from frontdesk.tickets.selectors import (
    VIEW_SLUGS,
    VIEWS,
    View,
    access_attachment,
    access_ticket,
    contact_timeline,
    requester_other_tickets,
    ticket_events,
    ticket_page,
    view_counts,
)
from frontdesk.workspace.forms import (
    EscalateToManagerForm,
    EscalateToTeamForm,
    InboxFilterForm,
    NoteForm,
    PropertiesForm,
    ReplyForm,
    ResolveEscalationForm,
    RoutingProfileForm,
    ServiceForm,
)

PAGE_SIZE = 25
NOTIFICATIONS_PAGE_SIZE = 50
# The parts of the ticket page that change together; each is a template with the same name.
TICKET_PARTS = ("header", "sla", "conversation", "properties", "history")
# The statuses a reply can set in the same step ("Send and mark pending").
REPLY_STATUSES = (Status.PENDING, Status.SOLVED)
# The buttons of the shift bar.
SHIFT_CHANGES: dict[str, Callable[..., RoutingProfile]] = {
    "start": routing.shift_start,
    "stop": routing.shift_stop,
    "pause": routing.intake_pause,
    "resume": routing.intake_resume,
}

P = ParamSpec("P")


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


# An inline image of an e-mail: <img src="cid:part1.abc@example.com">.
_CID = re.compile(r"cid:([^\"'\s>]+)")


def agent_view(
    view: Callable[Concatenate[HtmxHttpRequest, P], HttpResponseBase],
) -> Callable[Concatenate[HtmxHttpRequest, P], HttpResponseBase]:
    """Sign-in required; selector errors become the matching HTTP error pages."""

    @login_required
    @functools.wraps(view)
    def wrapper(request: HtmxHttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.message) from error
        except PermissionDenied as error:
            raise DjangoPermissionDenied(error.message) from error
        except FrontdeskError as error:
            return HttpResponseBadRequest(error.message)

    return wrapper


def is_partial(request: HtmxHttpRequest) -> bool:
    """An htmx request for a part of the page (a history restore wants the whole page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def confirm_delete(
    request: HtmxHttpRequest,
    *,
    delete: Callable[[], object],
    title: str,
    explanation: str,
    deleted: str,
    cancel: str,
    done: str,
    nav: str,
    section: str,
) -> HttpResponse:
    """A settings page's delete. GET: the confirmation page, with the settings' `nav` template
    (`section` marked). POST: delete and go to `done`, or back to `cancel` with the service's
    refusal."""
    if request.method == "POST":
        try:
            delete()
        except PermissionDenied:
            raise
        except FrontdeskError as error:
            messages.error(request, error.message)
            return redirect(cancel)
        messages.success(request, deleted)
        return redirect(done)
    context = {"title": title, "explanation": explanation, "cancel": cancel, "nav": nav, "section": section}
    return render(request, "workspace/confirm_delete.html", context)


# --- inbox ---------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("workspace:view", slug="open")


@require_GET
@agent_view
def inbox(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    agent = require_agent(request.user)
    if slug not in VIEW_SLUGS:
        raise Http404("No such view.")
    form = InboxFilterForm(
        request.GET,
        teams=team_list(user=agent).values_list("pk", "name"),
        agents=agent_list(user=agent).values_list("pk", "name"),
    )
    filters = form.filters(view=slug)
    cursor = request.GET.get("cursor", "")
    page = ticket_page(user=agent, filters=filters, cursor=cursor, size=PAGE_SIZE, now=timezone.now())
    context = {"view": _view(slug), "form": form, "page": page, "cursor": cursor, "sort": filters.sort}
    if is_partial(request):
        return render(request, "workspace/_inbox_results.html", context)
    return render(request, "workspace/inbox.html", {**context, **_nav_context(agent, slug)})


@require_GET
@agent_view
def nav_counts(request: HtmxHttpRequest) -> HttpResponse:
    """The views with their live counts: the sidebar re-fetches this when tickets change."""
    agent = require_agent(request.user)
    return render(request, "workspace/_nav.html", _nav_context(agent, request.GET.get("active", "")))


def _view(slug: str) -> View:
    return next(view for view in VIEWS if view.slug == slug)


def _nav(agent: User) -> list[dict[str, Any]]:
    counts = view_counts(user=agent)
    return [{"slug": view.slug, "label": view.label, "count": counts[view.slug]} for view in VIEWS]


def _nav_context(agent: User, active: str) -> dict[str, Any]:
    """The sidebar: the views with their counts, and for admins the settings with failed e-mails."""
    return {"views": _nav(agent), "active_view": active, "failed_emails": failed_email_count(user=agent)}


# --- ticket page ---------------------------------------------------------------------


@require_GET
@agent_view
def ticket_detail(request: HtmxHttpRequest, ticket_id: int) -> HttpResponse:
    agent = require_agent(request.user)
    ticket = access_ticket(agent, ticket_id, with_tags=True)
    # The assignee has seen it: from now on routing leaves it with them.
    services.ticket_mark_opened(ticket=ticket, user=agent, now=timezone.now())
    return _ticket_page(request, agent, ticket)


@require_GET
@agent_view
def ticket_live(request: HtmxHttpRequest, ticket_id: int) -> HttpResponse:
    """The changing parts of the ticket page, for a page told that someone else changed the ticket."""
    agent = require_agent(request.user)
    return _ticket_page(request, agent, access_ticket(agent, ticket_id, with_tags=True), parts=TICKET_PARTS)


@require_POST
@agent_view
def ticket_reply(request: HtmxHttpRequest, ticket_id: int) -> HttpResponse:
    agent = require_agent(request.user)
    ticket = access_ticket(agent, ticket_id, with_tags=True)
    form = ReplyForm(request.POST, request.FILES, prefix="reply")
    if form.is_valid():
        with form.service_errors():
            services.ticket_reply(
                ticket=ticket,
                author=agent,
                body_text=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
                status=form.cleaned_data["status"] or None,
                now=timezone.now(),
            )
    return _submitted(request, agent, ticket, "reply_form", form, part="reply")


@require_POST
@agent_view
def ticket_note(request: HtmxHttpRequest, ticket_id: int) -> HttpResponse:
    agent = require_agent(request.user)
    ticket = access_ticket(agent, ticket_id, with_tags=True)
    form = NoteForm(request.POST, request.FILES, prefix="note")
    if form.is_valid():
        with form.service_errors():
            services.ticket_add_note(
                ticket=ticket,
                author=agent,
                body_text=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
                now=timezone.now(),
            )
    return _submitted(request, agent, ticket, "note_form", form, part="note")


@require_POST
@agent_view
def ticket_properties(request: HtmxHttpRequest, ticket_id: int) -> HttpResponse:
    agent = require_agent(request.user)
    ticket = access_ticket(agent, ticket_id, with_tags=True)
    form = PropertiesForm(request.POST, ticket=ticket, **_property_choices(agent, ticket))
    if form.is_valid():
        with form.service_errors():
            services.ticket_update(ticket=ticket, actor=agent, now=timezone.now(), **form.changes())
    return _submitted(request, agent, ticket, "properties_form", form, part="properties")


@require_POST
@agent_view
def ticket_escalate(request: HtmxHttpRequest, ticket_id: int) -> HttpResponse:
    agent = require_agent(request.user)
    ticket = access_ticket(agent, ticket_id, with_tags=True)
    form = EscalateToManagerForm(request.POST, prefix="escalate")
    if form.is_valid():
        with form.service_errors():
            services.ticket_escalate_to_manager(
                ticket=ticket, actor=agent, reason=form.cleaned_data["reason"], now=timezone.now()
            )
    return _submitted(request, agent, ticket, "escalate_form", form, part="properties")


@require_POST
@agent_view
def ticket_resolve_escalation(request: HtmxHttpRequest, ticket_id: int) -> HttpResponse:
    agent = require_agent(request.user)
    ticket = access_ticket(agent, ticket_id, with_tags=True)
    form = ResolveEscalationForm(request.POST, prefix="resolve")
    if form.is_valid():
        with form.service_errors():
            services.ticket_resolve_escalation(
                ticket=ticket, actor=agent, note=form.cleaned_data["note"], now=timezone.now()
            )
    return _submitted(request, agent, ticket, "resolve_form", form, part="properties")


@require_POST
@agent_view
def ticket_escalate_to_team(request: HtmxHttpRequest, ticket_id: int) -> HttpResponse:
    agent = require_agent(request.user)
    ticket = access_ticket(agent, ticket_id, with_tags=True)
    form = EscalateToTeamForm(request.POST, prefix="team", teams=list(team_list(user=agent)), current=ticket.team_id)
    if form.is_valid():
        with form.service_errors():
            services.ticket_escalate_to_team(
                ticket=ticket,
                actor=agent,
                team=form.chosen_team(),
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
    return _submitted(request, agent, ticket, "team_form", form, part="properties")


@require_GET
@agent_view
def attachment_download(request: HtmxHttpRequest, attachment_id: int) -> FileResponse:
    attachment = access_attachment(require_agent(request.user), attachment_id)
    # Always a download: a file a customer sent is never rendered as a page of ours.
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )


def _submitted(
    request: HtmxHttpRequest, agent: User, ticket: Ticket, name: str, form: ServiceForm, *, part: str
) -> HttpResponse:
    """After a ticket form: the form with its error, or (success) the updated page or its changed parts."""
    if form.errors:
        return _ticket_page(request, agent, ticket, forms={name: form}, parts=(part,), status=form.error_status)
    if not is_partial(request):
        return redirect("workspace:ticket", ticket_id=ticket.pk)
    # The sent form comes back empty; the other form keeps what the agent may be writing there.
    sent = (part,) if part in ("reply", "note") else ()
    return _ticket_page(request, agent, access_ticket(agent, ticket.pk, with_tags=True), parts=(*TICKET_PARTS, *sent))


def _property_choices(agent: User, ticket: Ticket) -> dict[str, Any]:
    return {
        "tags": ticket.tag_names,  # type: ignore[attr-defined]  # access_ticket(with_tags=True)
        "teams": list(team_list(user=agent)),
        "agents": list(agent_list(user=agent)),
    }


def _ticket_forms(agent: User, ticket: Ticket, tags: list[str]) -> dict[str, Any]:
    """The ticket page's forms, each built when the page first shows one: a closed ticket shows
    none, and building a form copies its fields (the properties and team forms also read the
    teams and agents). A form passed back with its errors replaces its lazy one."""
    teams = functools.cache(lambda: team_choices(user=agent))

    def properties() -> PropertiesForm:
        # Only what the choices show: the agents for the page are never passed to a service.
        return PropertiesForm(ticket=ticket, tags=tags, teams=teams(), agents=agent_choices(user=agent))

    return {
        "reply_form": SimpleLazyObject(lambda: ReplyForm(prefix="reply")),
        "note_form": SimpleLazyObject(lambda: NoteForm(prefix="note")),
        "properties_form": SimpleLazyObject(properties),
        "escalate_form": SimpleLazyObject(lambda: EscalateToManagerForm(prefix="escalate")),
        "resolve_form": SimpleLazyObject(lambda: ResolveEscalationForm(prefix="resolve")),
        "team_form": SimpleLazyObject(lambda: EscalateToTeamForm(prefix="team", teams=teams(), current=ticket.team_id)),
    }


def _ticket_page(
    request: HtmxHttpRequest,
    agent: User,
    ticket: Ticket,
    *,
    forms: dict[str, ServiceForm] | None = None,
    parts: Sequence[str] = (),
    status: int = 200,
) -> HttpResponse:
    """The ticket page, or (htmx) only `parts` of it, each swapped in place by its id. `ticket`
    comes from access_ticket with its tag names (`with_tags`): every view of the page reads it so."""
    tags: list[str] = ticket.tag_names  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "ticket": ticket,
        "tags": tags,
        "can_edit": agent.role in EDITOR_ROLES,
        "can_resolve": agent.role in MANAGER_ROLES,
        "reply_statuses": [Status(s) for s in REPLY_STATUSES if s in TRANSITIONS[ticket.status]],
        **_ticket_forms(agent, ticket, tags),
        **(forms or {}),
    }
    if parts and is_partial(request):
        if "sla" in parts:
            context["clocks"] = ticket_clocks(user=agent, ticket=ticket, with_policy=False)
        if "conversation" in parts:
            context["messages_list"] = _conversation(agent, ticket)
        if "history" in parts:
            context["history"] = ticket_events(user=agent, ticket=ticket)
        return render(request, "workspace/_ticket_parts.html", {**context, "parts": parts}, status=status)
    context["clocks"] = ticket_clocks(user=agent, ticket=ticket, with_policy=False)
    context["messages_list"] = _conversation(agent, ticket)
    context["history"] = ticket_events(user=agent, ticket=ticket)
    context["other_tickets"] = requester_other_tickets(user=agent, ticket=ticket)
    return render(request, "workspace/ticket.html", context, status=status)


def _conversation(agent: User, ticket: Ticket) -> list[Message]:
    """The messages, each with the e-mail it came or went as (`message.email`), and inline
    images (cid:) pointing at their attachments."""
    messages = ticket_conversation(user=agent, ticket=ticket)
    for message in messages:
        if "cid:" in message.body_html:
            message.body_html = _inline_images(message)
    return messages


def _inline_images(message: Message) -> str:
    urls = {a.content_id: reverse("workspace:attachment", args=[a.pk]) for a in message.files if a.content_id}  # type: ignore[attr-defined]
    return _CID.sub(lambda m: urls.get(m.group(1), m.group(0)), message.body_html)


# --- contact page --------------------------------------------------------------------


@require_GET
@agent_view
def contact_detail(request: HtmxHttpRequest, contact_id: int) -> HttpResponse:
    agent = require_agent(request.user)
    contact = access_contact(agent, contact_id)
    if contact.pk != contact_id:
        return redirect("workspace:contact", contact_id=contact.pk)  # merged into another
    context = {
        "contact": contact,
        "identities": list(contact.identities.order_by("-is_primary", "kind", "value")),
        "timeline": contact_timeline(user=agent, contact=contact),
    }
    return render(request, "workspace/contact.html", context)


# --- notifications ---------------------------------------------------------------------


@require_GET
@agent_view
def notifications(request: HtmxHttpRequest) -> HttpResponse:
    """The agent's own notifications, newest first, a page at a time; the unread ones stand out."""
    agent = require_agent(request.user)
    cursor = request.GET.get("cursor", "")
    page = notification_page(user=agent, cursor=cursor, size=NOTIFICATIONS_PAGE_SIZE)
    context = {
        "notifications": page.items,
        "cursor": cursor,
        "next_cursor": page.next_cursor,
        "has_unread": any(item.read_at is None for item in page.items),
        **_nav_context(agent, "notifications"),
    }
    return render(request, "workspace/notifications.html", context)


@require_GET
@agent_view
def notification_open(request: HtmxHttpRequest, notification_id: int) -> HttpResponse:
    """Opening a notification marks it read (like an e-mail: doing it twice changes nothing)
    and leads to its ticket, or back to the list when it names none."""
    agent = require_agent(request.user)
    notification = notification_list(user=agent).filter(pk=notification_id).first()
    if notification is None:
        raise Http404("No such notification.")
    notifications_mark_read(user=agent, ids=[notification.pk], now=timezone.now())
    if notification.ticket_id is None:
        return redirect("workspace:notifications")
    return redirect("workspace:ticket", ticket_id=notification.ticket_id)


@require_POST
@agent_view
def notifications_read(request: HtmxHttpRequest) -> HttpResponse:
    """Mark every notification of the agent read."""
    agent = require_agent(request.user)
    notifications_mark_read(user=agent, ids=None, now=timezone.now())
    return redirect("workspace:notifications")


@require_GET
@agent_view
def notification_bell(request: HtmxHttpRequest) -> HttpResponse:
    """The bell with its unread count, which a page re-fetches when a push says a notification arrived."""
    require_agent(request.user)
    return render(request, "workspace/_bell.html")


# --- shift timer and intake ------------------------------------------------------------


@require_GET
@agent_view
def agent_shift(request: HtmxHttpRequest, agent_id: int) -> HttpResponse:
    """An agent's shift bar, re-fetched when a push says their state changed."""
    user = require_agent(request.user)
    return _shift_bar(request, access_profile(user, agent_id), place=request.GET.get("place", ""))


@require_POST
@agent_view
def agent_shift_change(request: HtmxHttpRequest, agent_id: int, action: str) -> HttpResponse:
    """Start or stop the shift timer, pause or resume intake: one's own, or (supervisors) anyone's.

    A button pressed on a page that no longer shows the state (changed in another tab) is
    refused with the reason, and changes nothing."""
    user = require_agent(request.user)
    change = SHIFT_CHANGES.get(action)
    if change is None:
        raise Http404("No such shift action.")
    profile = access_profile(user, agent_id)
    try:
        profile = change(agent=profile.agent, actor=user, now=timezone.now())
    except FrontdeskError as error:
        if is_partial(request):
            return _shift_bar(request, profile, place=request.POST.get("place", ""), error=error)
        context = {"shift_error": error.message, "back": _back(request)}
        return render(request, "workspace/shift.html", context, status=error.status)
    if is_partial(request):
        return _shift_bar(request, profile, place=request.POST.get("place", ""))
    return redirect(_back(request))


def _shift_bar(
    request: HtmxHttpRequest, profile: RoutingProfile, *, place: str, error: FrontdeskError | None = None
) -> HttpResponse:
    """The bar in the page header (the agent's own) or on an agent's card (place "card")."""
    context = {
        "shift": profile,
        "place": "card" if place == "card" else "header",
        "shift_error": error.message if error else "",
    }
    return render(request, "workspace/_shift_bar.html", context, status=error.status if error else 200)


def _back(request: HtmxHttpRequest) -> str:
    """Where a form posted without JavaScript returns: the page it was on, if it is one of ours."""
    referer = request.headers.get("Referer", "")
    if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return referer
    return reverse("workspace:inbox")


# --- agents and their routing profiles ---------------------------------------------------


@require_GET
@agent_view
def agents(request: HtmxHttpRequest) -> HttpResponse:
    """Every agent who can receive tickets, with their state and capacity. Supervisors and admins."""
    user = require_agent(request.user)
    context = {"profiles": profile_list(user=user), **_nav_context(user, "agents")}
    return render(request, "workspace/agents.html", context)


@require_http_methods(["GET", "POST"])
@agent_view
def agent_card(request: HtmxHttpRequest, agent_id: int) -> HttpResponse:
    """An agent's card with their routing profile: supervisors and admins change it, agents see their own."""
    user = require_agent(request.user)
    profile = access_profile(user, agent_id)
    teams = list(profile.agent.teams.all())
    form = RoutingProfileForm(
        request.POST if request.method == "POST" else None,
        profile=profile,
        teams=teams,
        read_only=user.role not in MANAGER_ROLES,
    )
    if form.is_bound and form.is_valid():
        with form.service_errors():
            routing.routing_profile_update(
                agent=profile.agent, actor=user, now=timezone.now(), **form.profile_arguments()
            )
            messages.success(request, _("The routing profile of %(name)s is saved.") % {"name": profile.agent.name})
            return redirect("workspace:agent", agent_id=agent_id)
    context = {
        "agent": profile.agent,
        "profile": profile,
        "teams": teams,
        "form": form,
        **_nav_context(user, "agents" if user.role in MANAGER_ROLES else ""),
    }
    return render(request, "workspace/agent.html", context, status=form.error_status if form.errors else 200)


# --- team dashboard ------------------------------------------------------------------------


@require_GET
@agent_view
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    """Who is working, paused or off, their loads, and the queue; the table re-fetches on pushes."""
    user = require_agent(request.user)
    context = {"dashboard": team_dashboard(user=user), "can_manage": user.role in MANAGER_ROLES}
    if is_partial(request):
        return render(request, "workspace/_dashboard_table.html", context)
    return render(request, "workspace/dashboard.html", {**context, **_nav_context(user, "dashboard")})
