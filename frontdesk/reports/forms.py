"""The report pages' pickers (period, team, metric). They parse the query string; the selectors check and read."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontdesk.accounts.models import Team
from frontdesk.reports.periods import PRESETS, Period, Preset, days_period, preset_period
from frontdesk.sla.models import Metric


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
