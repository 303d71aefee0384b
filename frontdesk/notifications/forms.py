"""Forms of the webhook settings pages. They parse and show input; notifications.services decides and writes."""

import secrets
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontdesk.notifications.models import Webhook
from frontdesk.workspace.forms import FixedChoices, ServiceForm

# The events a webhook may subscribe to (see sla.services: alarms and escalations).
EVENTS = [
    ("sla.warning", _("SLA warning: a share of a target is used")),
    ("sla.breach", _("SLA breach: a target is missed")),
    ("sla.escalation", _("SLA escalation: a breach's actions ran")),
]
SECRET_BYTES = 32  # token_urlsafe(32): 43 characters


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


class WebhookForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        widget=forms.TextInput(attrs={"inputmode": "url", "spellcheck": "false"}),
        help_text=_("Events are POSTed to this address as JSON."),
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=FixedChoices(EVENTS),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every event."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, data: Any = None, *, webhook: Webhook | None) -> None:
        initial: dict[str, Any] = {"is_active": True}
        if webhook is not None:
            initial = {
                "name": webhook.name,
                "url": webhook.url,
                "events": webhook.events,
                "is_active": webhook.is_active,
            }
        super().__init__(data, initial=initial)
        self.webhook = webhook
        self.fields["secret"].help_text = (
            _("Leave empty to keep the current secret; type one (at least 16 characters) to replace it.")
            if webhook is not None
            else _("Leave empty to have a strong one made for you; it is shown once, after saving.")
        )
        if webhook is not None:
            self.fields["new_secret"] = forms.BooleanField(
                label=_("Make a new secret (shown once, after saving)"), required=False
            )

    def webhook_arguments(self) -> tuple[dict[str, Any], str | None]:
        """The keyword arguments of services.webhook_save, and the secret made here (to show once), if any."""
        data = self.cleaned_data
        made = new_secret() if not data["secret"] and (self.webhook is None or data.get("new_secret")) else None
        secret = data["secret"] or made or (self.webhook.secret if self.webhook is not None else "")
        arguments = {
            "name": data["name"],
            "url": data["url"],
            "secret": secret,
            "events": data["events"],
            "is_active": data["is_active"],
        }
        return arguments, made
