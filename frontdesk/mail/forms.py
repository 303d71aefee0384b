"""Forms of the e-mail admin pages. They parse and show input; mail.services decides and writes."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from frontdesk.accounts.models import Team
from frontdesk.mail.models import Mailbox
from frontdesk.workspace.forms import NONE, FixedChoices, ServiceForm

MB = 1024 * 1024
URL_HELP = {
    "imap_url": _(
        "Where new mail is read, e.g. imaps://support:password@mail.example.com/INBOX. "
        "Leave it empty when mail arrives by the pipe command or over HTTP."
    ),
    "smtp_url": _("Where replies are sent, e.g. smtps://support:password@mail.example.com."),
}
KEEP_PASSWORD_HELP = _(
    "The password is stored encrypted and never shown. A URL typed without a password keeps the stored "
    "password, as long as the server, user name and options stay the same; type one to change it."
)


def _language_choices() -> FixedChoices:
    return FixedChoices([("", _("Site default"))], settings.LANGUAGES)


def _team_choices(teams: Sequence[Team]) -> FixedChoices:
    return FixedChoices(NONE, [(str(team.pk), team.name) for team in teams])


class _MailboxFields(ServiceForm):
    """What the create and the edit form share."""

    team = forms.TypedChoiceField(
        label=_("Team"), required=False, coerce=int, empty_value=None, help_text=_("New tickets go to this team.")
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("For new tickets whose sender's language is unknown, and for the acknowledgement."),
    )
    imap_url = forms.CharField(label=_("IMAP server"), required=False, max_length=500, help_text=URL_HELP["imap_url"])
    smtp_url = forms.CharField(label=_("SMTP server"), required=False, max_length=500, help_text=URL_HELP["smtp_url"])
    signature = forms.CharField(
        label=_("Signature"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Added below every e-mail sent from this mailbox."),
    )
    auto_ack = forms.BooleanField(label=_("Send an acknowledgement when a new ticket arrives"), required=False)

    def __init__(self, data: Any = None, *, teams: Sequence[Team], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.teams = {team.pk: team for team in teams}
        self.fields["team"].choices = _team_choices(teams)  # type: ignore[attr-defined]
        self.fields["language"].choices = _language_choices()  # type: ignore[attr-defined]
        for name in ("imap_url", "smtp_url"):
            self.fields[name].widget.attrs.update(spellcheck="false", autocomplete="off")

    def shared_arguments(self) -> dict[str, Any]:
        """The keyword arguments of services.mailbox_create and mailbox_update that these fields give."""
        data = self.cleaned_data
        pk = data["team"]
        return {
            "team": self.teams.get(pk) if pk is not None else None,
            "language": data["language"],
            "imap_url": data["imap_url"],
            "smtp_url": data["smtp_url"],
            "signature": data["signature"],
            "auto_ack": data["auto_ack"],
        }


class MailboxCreateForm(_MailboxFields):
    name = forms.SlugField(
        label=_("Name"),
        max_length=50,
        help_text=_(
            "Short and fixed: it names the mailbox in the pipe command and the HTTP address. Letters, digits, - and _."
        ),
    )
    address = forms.EmailField(
        label=_("Address"), help_text=_("The address customers write to. It cannot change later.")
    )
    field_order = ["name", "address"]

    def __init__(self, data: Any = None, *, teams: Sequence[Team]) -> None:
        super().__init__(data, teams=teams, initial={"auto_ack": True})

    def create_arguments(self) -> dict[str, Any]:
        """The keyword arguments of services.mailbox_create."""
        return {"name": self.cleaned_data["name"], "address": self.cleaned_data["address"], **self.shared_arguments()}


class MailboxForm(_MailboxFields):
    """A mailbox's settings; its name and address are fixed."""

    reopen_days = forms.IntegerField(
        label=_("Reopen closed tickets for (days)"),
        min_value=0,
        max_value=3650,
        help_text=_("A reply to a ticket closed longer ago than this opens a new ticket, linked to the old one."),
    )
    max_message_mb = forms.DecimalField(
        label=_("Largest message (MB)"),
        min_value=Decimal("0.001"),
        max_value=Decimal(10_000),
        decimal_places=6,
        help_text=_(
            "A larger message is kept but not made into a ticket: it waits on the failed e-mails page, "
            "where Retry processes it anyway."
        ),
    )
    is_active = forms.BooleanField(
        label=_("Active"), required=False, help_text=_("An inactive mailbox is not polled and refuses HTTP deliveries.")
    )

    def __init__(self, data: Any = None, *, mailbox: Mailbox, teams: Sequence[Team]) -> None:
        initial: dict[str, Any] = {
            "team": mailbox.team_id,
            "language": mailbox.language,
            "imap_url": mailbox.imap_url,
            "smtp_url": mailbox.smtp_url,
            "signature": mailbox.signature,
            "auto_ack": mailbox.auto_ack,
            "reopen_days": mailbox.reopen_days,
            "max_message_mb": (Decimal(mailbox.max_message_bytes) / MB).quantize(Decimal("0.000001")).normalize(),
            "is_active": mailbox.is_active,
        }
        for language, _name in settings.LANGUAGES:
            initial[f"auto_ack_text_{language}"] = mailbox.auto_ack_texts.get(language, "")
        super().__init__(data, teams=teams, initial=initial)
        self.mailbox = mailbox
        for language, language_name in settings.LANGUAGES:
            self.fields[f"auto_ack_text_{language}"] = forms.CharField(
                label=_("Acknowledgement (%(language)s)") % {"language": language_name},
                required=False,
                max_length=5000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        for name in ("imap_url", "smtp_url"):
            self.fields[name].help_text = f"{URL_HELP[name]} {KEEP_PASSWORD_HELP}"
        self.order_fields(
            [
                "team",
                "language",
                "imap_url",
                "smtp_url",
                "signature",
                "auto_ack",
                *(f"auto_ack_text_{language}" for language, _name in settings.LANGUAGES),
            ]
        )

    def ack_fields(self) -> list[forms.BoundField]:
        return [self[f"auto_ack_text_{language}"] for language, _name in settings.LANGUAGES]

    def update_arguments(self) -> dict[str, Any]:
        """The keyword arguments of services.mailbox_update."""
        data = self.cleaned_data
        # The size in MB is rounded to the byte or so: unchanged, it keeps the exact stored bytes.
        max_bytes = (
            int(data["max_message_mb"] * MB)
            if "max_message_mb" in self.changed_data
            else self.mailbox.max_message_bytes
        )
        return {
            **self.shared_arguments(),
            "auto_ack_texts": {language: data[f"auto_ack_text_{language}"] for language, _name in settings.LANGUAGES},
            "reopen_days": data["reopen_days"],
            "max_message_bytes": max_bytes,
            "is_active": data["is_active"],
        }
