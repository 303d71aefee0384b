"""Forms of the help centre and the customer portal. They parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from frontdesk.workspace.forms import MultipleFileField, ServiceForm


class SignInForm(ServiceForm):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    next = forms.CharField(required=False, max_length=300, widget=forms.HiddenInput)


class TicketForm(ServiceForm):
    subject = forms.CharField(label=_("Subject"), max_length=300, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    body = forms.CharField(
        label=_("How can we help?"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    attachments = MultipleFileField(label=_("Attach files (optional)"))


class ReplyForm(ServiceForm):
    body = forms.CharField(
        label=_("Your reply"), required=False, max_length=100_000, widget=forms.Textarea(attrs={"rows": 5})
    )
    attachments = MultipleFileField(label=_("Attach files (optional)"))


class VoteForm(forms.Form):
    helpful = forms.TypedChoiceField(choices=[("yes", _("Yes")), ("no", _("No"))], coerce=lambda value: value == "yes")
    comment = forms.CharField(required=False, max_length=2000)


class SubscribeForm(ServiceForm):
    email = forms.EmailField(
        label=_("Your e-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
