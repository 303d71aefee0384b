"""The e-mail channel's admin pages: mailboxes, and the e-mails that failed to become tickets.

Admins only: the selectors refuse everyone else, and `agent_view` turns that into a 403.
Each view parses its input, asks one selector or service, and renders.
"""

from typing import Literal

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.selectors import require_agent
from frontdesk.core.errors import ValidationError
from frontdesk.mail import services, transport
from frontdesk.mail.forms import MailboxCreateForm, MailboxForm
from frontdesk.mail.models import InboundStatus, Mailbox
from frontdesk.mail.selectors import (
    RawEmail,
    access_failed_email,
    access_mailbox,
    failed_emails,
    inbound_raw,
    mailbox_list,
    mailbox_server_url,
    mailbox_teams,
)
from frontdesk.workspace.views import HtmxHttpRequest, agent_view, is_partial

FAILED_PAGE_SIZE = 50
CHECKS = {"imap": transport.check_imap, "smtp": transport.check_smtp}


# --- mailboxes ---------------------------------------------------------------------------


@require_GET
@agent_view
def mailboxes(request: HtmxHttpRequest) -> HttpResponse:
    user = require_agent(request.user)
    context = {"mailboxes": list(mailbox_list(user=user)), "now": timezone.now(), "section": "mailboxes"}
    return render(request, "mail/mailboxes.html", context)


@require_http_methods(["GET", "POST"])
@agent_view
def mailbox_create(request: HtmxHttpRequest) -> HttpResponse:
    user = require_agent(request.user)
    form = MailboxCreateForm(request.POST or None, teams=list(mailbox_teams(user=user)))
    if form.is_bound and form.is_valid():
        with form.service_errors():
            mailbox, secret = services.mailbox_create(actor=user, now=timezone.now(), **form.create_arguments())
            return _secret_page(request, mailbox, secret, created=True)
    status = form.error_status if form.errors else 200
    return render(request, "mail/mailbox_form.html", {"form": form, "section": "mailboxes"}, status=status)


@require_http_methods(["GET", "POST"])
@agent_view
def mailbox_edit(request: HtmxHttpRequest, mailbox_id: int) -> HttpResponse:
    user = require_agent(request.user)
    mailbox = access_mailbox(user, mailbox_id)
    form = MailboxForm(request.POST or None, mailbox=mailbox, teams=list(mailbox_teams(user=user)))
    if form.is_bound and form.is_valid():
        with form.service_errors():
            services.mailbox_update(mailbox=mailbox, actor=user, **form.update_arguments())
            messages.success(request, _("The settings of %(mailbox)s are saved.") % {"mailbox": mailbox.name})
            return redirect("mail:mailboxes")
        mailbox = access_mailbox(user, mailbox_id)  # as stored: the refused update may have changed the object
    context = {"form": form, "mailbox": mailbox, "section": "mailboxes"}
    return render(request, "mail/mailbox_form.html", context, status=form.error_status if form.errors else 200)


@require_POST
@agent_view
def mailbox_new_secret(request: HtmxHttpRequest, mailbox_id: int) -> HttpResponse:
    user = require_agent(request.user)
    mailbox = access_mailbox(user, mailbox_id)
    secret = services.mailbox_new_inbound_secret(mailbox=mailbox, actor=user)
    return _secret_page(request, mailbox, secret, created=False)


def _secret_page(request: HtmxHttpRequest, mailbox: Mailbox, secret: str, *, created: bool) -> HttpResponse:
    """The inbound secret, shown this once (it is stored only as a digest), and how to use it."""
    context = {
        "mailbox": mailbox,
        "secret": secret,
        "created": created,
        "endpoint": request.build_absolute_uri(reverse("api-v1:inbound_email", kwargs={"mailbox": mailbox.name})),
        "section": "mailboxes",
    }
    template = "mail/_secret.html" if is_partial(request) else "mail/mailbox_secret.html"
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@agent_view
def mailbox_check(
    request: HtmxHttpRequest, kind: Literal["imap", "smtp"], mailbox_id: int | None = None
) -> HttpResponse:
    """Test connection: the server in the URL typed in the form, before it is saved."""
    user = require_agent(request.user)
    mailbox = access_mailbox(user, mailbox_id) if mailbox_id is not None else None
    try:
        url = mailbox_server_url(user=user, kind=kind, url=request.POST.get(f"{kind}_url", ""), mailbox=mailbox)
        result, ok = CHECKS[kind](url), True
    except (ValidationError, transport.TransportError) as error:
        result, ok = error.message, False
    return render(request, "mail/_check.html", {"result": result, "ok": ok})


# --- failed e-mails ----------------------------------------------------------------------


@require_GET
@agent_view
def failed_email_list(request: HtmxHttpRequest) -> HttpResponse:
    user = require_agent(request.user)
    page = Paginator(failed_emails(user=user), FAILED_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "mail/failed_emails.html", {"page": page, "section": "failed"})


@require_POST
@agent_view
def failed_email_retry(request: HtmxHttpRequest, inbound_id: int) -> HttpResponse:
    """Process the e-mail again, even when it is over its mailbox's size limit."""
    user = require_agent(request.user)
    email = access_failed_email(user, inbound_id)
    services.email_process(inbound_id=email.pk, now=timezone.now(), force=True)
    email.refresh_from_db()
    if is_partial(request):
        return render(request, "mail/_failed_email_row.html", {"email": email, "retried": True})
    if email.status == InboundStatus.QUARANTINED:
        messages.error(request, _("The e-mail failed again: %(error)s") % {"error": email.error})
    elif email.ticket_id is None:
        messages.success(request, email.get_outcome_display())
    else:
        messages.success(
            request,
            _("%(outcome)s: #%(ticket)s") % {"outcome": email.get_outcome_display(), "ticket": email.ticket_id},
        )
    return redirect("mail:failed_emails")


@require_GET
@agent_view
def failed_email_raw(request: HtmxHttpRequest, inbound_id: int) -> HttpResponse:
    """The exact bytes received, always as a download: a customer's message is never rendered as a page."""
    return raw_email_download(inbound_raw(access_failed_email(require_agent(request.user), inbound_id)))


def raw_email_download(raw: RawEmail) -> HttpResponse:
    """The exact bytes as a `message/rfc822` download, never rendered as a page of ours."""
    response = HttpResponse(raw.data, content_type="message/rfc822")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=raw.filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response
