"""The webhook settings pages (/settings/webhooks/): endpoints, their recent deliveries, retries.

Admins only: the selectors refuse everyone else, and `agent_view` turns that into a 403.
A secret made here is shown once, on the page that answers the save, and never again.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.selectors import require_agent
from frontdesk.notifications import services
from frontdesk.notifications.forms import WebhookForm
from frontdesk.notifications.models import Webhook
from frontdesk.notifications.selectors import access_webhook, require_admin, webhook_deliveries, webhook_list
from frontdesk.workspace.views import HtmxHttpRequest, agent_view, is_partial

DELIVERIES_SHOWN = 50


@require_GET
@agent_view
def webhooks(request: HtmxHttpRequest) -> HttpResponse:
    user = require_agent(request.user)
    return render(request, "notifications/webhooks.html", {"webhooks": list(webhook_list(user=user))})


@require_http_methods(["GET", "POST"])
@agent_view
def webhook_create(request: HtmxHttpRequest) -> HttpResponse:
    user = require_admin(request.user)
    form = WebhookForm(request.POST or None, webhook=None)
    if form.is_bound and form.is_valid():
        arguments, made = form.webhook_arguments()
        with form.service_errors():
            webhook = services.webhook_save(actor=user, now=timezone.now(), **arguments)
            if made is not None:
                return _secret_page(request, webhook, made, created=True)
            messages.success(request, _("The webhook %(name)s is created.") % {"name": webhook.name})
            return redirect("notifications:webhook_edit", webhook.pk)
    status = form.error_status if form.errors else 200
    return render(request, "notifications/webhook_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@agent_view
def webhook_edit(request: HtmxHttpRequest, webhook_id: int) -> HttpResponse:
    user = require_agent(request.user)
    webhook = access_webhook(user, webhook_id)
    form = WebhookForm(request.POST or None, webhook=webhook)
    if form.is_bound and form.is_valid():
        arguments, made = form.webhook_arguments()
        with form.service_errors():
            services.webhook_save(webhook=webhook, actor=user, now=timezone.now(), **arguments)
            if made is not None:
                return _secret_page(request, webhook, made, created=False)
            messages.success(request, _("The webhook %(name)s is saved.") % {"name": webhook.name})
            return redirect("notifications:webhook_edit", webhook.pk)
        webhook = access_webhook(user, webhook_id)  # as stored: the refused change may have touched the object
    deliveries = webhook_deliveries(user=user, webhook=webhook, limit=DELIVERIES_SHOWN)
    context = {"form": form, "webhook": webhook, "deliveries": deliveries, "shown": DELIVERIES_SHOWN}
    return render(request, "notifications/webhook_form.html", context, status=form.error_status if form.errors else 200)


def _secret_page(request: HtmxHttpRequest, webhook: Webhook, secret: str, *, created: bool) -> HttpResponse:
    """The signing secret made for the webhook, shown this once, and how to check a signature with it."""
    context = {"webhook": webhook, "secret": secret, "created": created}
    response = render(request, "notifications/webhook_secret.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@agent_view
def webhook_delete(request: HtmxHttpRequest, webhook_id: int) -> HttpResponse:
    user = require_agent(request.user)
    webhook = access_webhook(user, webhook_id)
    if request.method == "POST":
        services.webhook_delete(webhook_id=webhook.pk, actor=user)
        messages.success(request, _("The webhook %(name)s is deleted.") % {"name": webhook.name})
        return redirect("notifications:webhooks")
    return render(request, "notifications/webhook_delete.html", {"webhook": webhook})


@require_POST
@agent_view
def delivery_retry(request: HtmxHttpRequest, webhook_id: int, delivery_id: int) -> HttpResponse:
    """Send a failed delivery again, soon (the outbox job picks it up after this request)."""
    user = require_agent(request.user)
    webhook = access_webhook(user, webhook_id)
    delivery = webhook.deliveries.filter(pk=delivery_id).first()
    if delivery is None:
        raise Http404(_("The webhook has no such delivery."))
    delivery = services.webhook_delivery_retry(delivery=delivery, actor=user, now=timezone.now())
    if is_partial(request):
        return render(request, "notifications/_delivery_row.html", {"webhook": webhook, "delivery": delivery})
    messages.success(request, _("The delivery is sent again."))
    return redirect("notifications:webhook_edit", webhook.pk)
