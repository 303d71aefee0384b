"""The report pages' pickers (period, team, metric; the survey dashboard's filters). They parse the
query string; the selectors check and read."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django import forms
from django.forms.renderers import BaseRenderer
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from frontdesk.accounts.models import Team, User
from frontdesk.accounts.selectors import agent_list, organisation_list, team_list
from frontdesk.reports.periods import PRESETS, Period, Preset, days_period, preset_period
from frontdesk.sla.models import Metric
from frontdesk.surveys import scores
from frontdesk.surveys.models import QuestionKind, Sentiment
from frontdesk.surveys.selectors import survey_list
from frontdesk.tickets.models import BookingStage, Channel


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class PeriodForm(forms.Form):
    """period (a preset, or "custom" with start and end dates, both included) and an optional team.
    Dates without a period mean "custom"; nothing at all means the last 7 days."""

    period = forms.ChoiceField(label=_("Period"), choices=PRESETS, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=DateInput(), input_formats=["%Y-%m-%d"])
    end = forms.DateField(label=_("To"), required=False, widget=DateInput(), input_formats=["%Y-%m-%d"])
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)

    def __init__(self, data: Any, *, teams: Sequence[Team], now: datetime) -> None:
        # The period the query string means, written into the data so that the picker shows it (a
        # select left without a choice shows its first option, "Today", and sends it on the next "Show").
        data = data.copy()
        if not data.get("period"):
            data["period"] = Preset.CUSTOM if data.get("start") or data.get("end") else Preset.LAST_7_DAYS
        super().__init__(data)
        self.now = now
        self.fields["team"].choices = [("", _("All agents")), *((str(team.pk), team.name) for team in teams)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        preset, start, end = cleaned["period"], cleaned.get("start"), cleaned.get("end")
        zone = timezone.get_current_timezone()
        if preset != Preset.CUSTOM:
            cleaned["report_period"] = preset_period(preset, now=self.now, zone=zone)
        elif start is None or end is None:
            self.add_error("start" if start is None else "end", _("Give a start and an end date."))
        elif end < start:
            self.add_error("end", _("The end date is before the start date."))
        else:
            cleaned["report_period"] = days_period(start, end, zone=zone)
        return cleaned

    @property
    def report_period(self) -> Period:
        period: Period = self.cleaned_data["report_period"]
        return period

    @property
    def team_id(self) -> int | None:
        team: int | None = self.cleaned_data.get("team")
        return team

    def error_text(self) -> str:
        """Every error in one line, for answers that are not a page (the CSV downloads)."""
        return " ".join(str(message) for messages in self.errors.values() for message in messages)


class SlaForm(PeriodForm):
    """The SLA report's picker: the period, an optional team, and an optional metric."""

    metric = forms.ChoiceField(label=_("Metric"), required=False, choices=[("", _("All metrics")), *Metric.choices])

    def __init__(self, data: Any, *, teams: Sequence[Team], now: datetime) -> None:
        super().__init__(data, teams=teams, now=now)
        self.fields["team"].choices = [("", _("All teams")), *((str(team.pk), team.name) for team in teams)]  # type: ignore[attr-defined]

    @property
    def chosen_metric(self) -> str | None:
        metric: str = self.cleaned_data.get("metric") or ""
        return metric or None


class ContractForm(PeriodForm):
    """The contract report's picker: the period only (the organisation is in the address)."""

    def __init__(self, data: Any, *, now: datetime) -> None:
        super().__init__(data, teams=[], now=now)
        del self.fields["team"]


# --- the survey dashboard ----------------------------------------------------------------------

BUCKET_CHOICES = [("", _("Automatic")), ("day", _("Day")), ("week", _("Week")), ("month", _("Month"))]


class QuickSelect(forms.Select):
    """A select written out here: Django's widget templates take about half a millisecond an option,
    a second for the 2,000 organisations of a large customer base."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: BaseRenderer | None = None
    ) -> SafeString:
        chosen = "" if value is None else str(value)
        selected = mark_safe(" selected")  # a constant
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((key, selected if str(key) == chosen else "", label) for key, label in self.choices),
        )
        attributes = flatatt(self.build_attrs(self.attrs, {**(attrs or {}), "name": name}))
        return format_html("<select{}>{}</select>", attributes, options)


class DimensionChoice(forms.ChoiceField):
    """A filter of one dimension: "" any, NOT_SET none, one of the listed values — or, for ids, any id
    (a breakdown row of a deactivated agent or a deleted survey still drills down)."""

    widget = QuickSelect

    def __init__(self, *, label: StrOrPromise, ids: bool) -> None:
        super().__init__(label=label, required=False)
        self.ids = ids

    def valid_value(self, value: str) -> bool:
        return super().valid_value(value) or (self.ids and value.isdigit())


class SurveyForm(PeriodForm):
    """The survey dashboard's picker: the period, a filter per dimension, the trend's bucket and the
    breakdown's dimension. (The report pickers' form: it parses, the scores module reads.)"""

    survey = DimensionChoice(label=_("Survey"), ids=True)
    agent = DimensionChoice(label=_("Agent"), ids=True)
    organisation = DimensionChoice(label=_("Organisation"), ids=True)
    channel = DimensionChoice(label=_("Channel"), ids=False)
    region = forms.CharField(label=_("Region"), required=False, max_length=100)
    product = forms.CharField(label=_("Product"), required=False, max_length=100)
    booking_stage = DimensionChoice(label=_("Booking stage"), ids=False)
    bucket = forms.ChoiceField(label=_("Trend by"), required=False, choices=BUCKET_CHOICES)
    dimension = forms.ChoiceField(label=_("Breakdown by"), required=False, choices=list(scores.DIMENSIONS.items()))

    def __init__(self, data: Any, *, user: User, now: datetime) -> None:
        super().__init__(data, teams=[], now=now)
        self.fields["team"] = DimensionChoice(label=_("Team"), ids=True)
        listed: dict[str, list[tuple[str, str]]] = {
            "survey": [(str(pk), name) for pk, name in survey_list(user=user).values_list("pk", "name")],
            "team": [(str(pk), name) for pk, name in team_list(user=user).values_list("pk", "name")],
            "agent": [(str(pk), name) for pk, name in agent_list(user=user).values_list("pk", "name")],
            "organisation": [(str(pk), name) for pk, name in organisation_list(user=user).values_list("pk", "name")],
            "channel": [(value, str(label)) for value, label in Channel.choices],
            "booking_stage": [(value, str(label)) for value, label in BookingStage.choices],
        }
        for name, choices in listed.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)  # the fields declared above
            chosen = str(self.data.get(name, ""))
            if chosen.isdigit() and chosen not in {value for value, _label in choices}:
                choices.append((chosen, f"#{chosen}"))  # shown as chosen, though no longer listed
            field.choices = [("", gettext("All")), (scores.NOT_SET, gettext("Not set")), *choices]
        self.fields["region"].widget.attrs["placeholder"] = gettext("All")
        self.fields["product"].widget.attrs["placeholder"] = gettext("All")
        self.order_fields(["period", "start", "end", "survey", "team", "agent", "organisation", "channel"])

    @property
    def filters(self) -> scores.Filters:
        values: dict[str, Any] = {}
        for name, column in scores.COLUMNS.items():
            value = str(self.cleaned_data.get(name) or "").strip()
            if column.endswith("_id"):
                values[column] = None if not value else 0 if value == scores.NOT_SET else int(value)
            else:
                values[column] = value
        return scores.Filters(**values)

    @property
    def chosen_bucket(self) -> str:
        """The one chosen, else by the period's length: days up to a month, weeks up to half a year."""
        chosen: str = self.cleaned_data.get("bucket") or ""
        if chosen:
            return chosen
        days = (self.report_period.last_day - self.report_period.first_day).days + 1
        return "day" if days <= 31 else "week" if days <= 183 else "month"

    @property
    def chosen_dimension(self) -> str:
        return self.cleaned_data.get("dimension") or "agent"


def filter_params(filters: scores.Filters) -> dict[str, str]:
    """The filters as SurveyForm reads them from a query string (SurveyForm.filters undone)."""
    params = {}
    for name, column in scores.COLUMNS.items():
        value = getattr(filters, column)
        if value is None or value == "":
            continue
        params[name] = scores.NOT_SET if value == 0 and column.endswith("_id") else str(value)
    return params


class SurveyAnswersForm(SurveyForm):
    """The drill-down's selection: the dashboard's period and filters, and what the figure counted."""

    kind = forms.ChoiceField(required=False, choices=[("", ""), *QuestionKind.choices])
    score = forms.IntegerField(required=False)
    score_min = forms.IntegerField(required=False)
    score_max = forms.IntegerField(required=False)
    theme = forms.CharField(required=False, max_length=100)
    sentiment = forms.ChoiceField(required=False, choices=[("", ""), *Sentiment.choices])
    ideas = forms.BooleanField(required=False)
    text = forms.CharField(required=False, max_length=200)
    cursor = forms.CharField(required=False, max_length=200)

    def selection(self) -> dict[str, Any]:
        """What scores.answers narrows to, besides the period and the filters."""
        data = self.cleaned_data
        return {
            "kind": data.get("kind") or "",
            "score": data.get("score"),
            "score_min": data.get("score_min"),
            "score_max": data.get("score_max"),
            "theme": data.get("theme") or "",
            "sentiment": data.get("sentiment") or "",
            "ideas": bool(data.get("ideas")),
            "text": (data.get("text") or "").strip(),
            "cursor": data.get("cursor") or None,
        }
