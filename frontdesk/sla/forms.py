"""Forms of the SLA settings pages. They parse and show input; sla.services decides and writes.

Targets are minutes of business time, typed as minutes ("90") or with units ("1h 30m", "2d")
and shown back with units. Warnings are typed as percentages and stored as fractions.
"""

import functools
import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from frontdesk.accounts.models import Organisation, Team
from frontdesk.sla.ical import MAX_ICS_BYTES
from frontdesk.sla.models import Calendar, Contract, Metric, Policy
from frontdesk.sla.services import DEFAULT_WARN_AT, TargetInput
from frontdesk.tickets.models import Channel, Priority
from frontdesk.workspace.forms import NONE, FixedChoices, ReadOnlyForm, ServiceForm

MINUTES_PER_DAY = 24 * 60
MAX_TARGET_MINUTES = 366 * MINUTES_PER_DAY
INTERVALS_PER_DAY = 2
PLACEHOLDERS = ({"opens": "09:00", "closes": "13:00"}, {"opens": "15:00", "closes": "19:00"})
_DURATION = re.compile(r"(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?")
_TIME = re.compile(r"(\d{1,2})(?::(\d{2}))?")


# --- durations, percentages, times ------------------------------------------------------


def parse_minutes(text: str) -> int:
    """ "90" → 90, "1h 30m" → 90, "2d" → 2880, "1d 4h" → 1680. Raises forms.ValidationError."""
    text = text.strip().lower()
    if text.isdigit():
        return int(text)
    match = _DURATION.fullmatch(text)
    if not text or match is None or not any(match.groups()):
        raise forms.ValidationError(
            _("“%(value)s” is not a duration: type minutes (90) or units such as 1h 30m or 2d."),
            code="invalid",
            params={"value": text},
        )
    days, hours, minutes = (int(part or 0) for part in match.groups())
    return days * MINUTES_PER_DAY + hours * 60 + minutes


def format_minutes(minutes: int | None) -> str:
    """90 → "1h 30m", 2880 → "2d", None → ""."""
    if minutes is None:
        return ""
    days, rest = divmod(minutes, MINUTES_PER_DAY)
    hours, minutes = divmod(rest, 60)
    parts = [f"{value}{unit}" for value, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if value]
    return " ".join(parts) or "0m"


def format_percentages(fractions: Iterable[float]) -> str:
    """[0.75, 0.9] → "75, 90"."""
    return ", ".join(f"{round(fraction * 100, 4):g}" for fraction in fractions)


class DurationField(forms.CharField):
    """Business minutes, typed as minutes or with units; empty is no target."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.update(size="8", maxlength="30", autocomplete="off", spellcheck="false")

    def prepare_value(self, value: Any) -> Any:
        return format_minutes(value) if isinstance(value, int) else value

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]  # minutes, not text
        text = super().to_python(value)
        if not text:
            return None
        minutes = parse_minutes(text)
        if not 0 < minutes <= MAX_TARGET_MINUTES:
            raise forms.ValidationError(_("A target is above 0 and at most 366 days."), code="range")
        return minutes


class PercentagesField(forms.CharField):
    """ "75, 90" → [0.75, 0.9]: percentages of a target, each above 0 and below 100."""

    def prepare_value(self, value: Any) -> Any:
        return format_percentages(value) if isinstance(value, list | tuple) else value

    def to_python(self, value: Any) -> list[float]:  # type: ignore[override]  # fractions, not text
        text = super().to_python(value) or ""
        fractions = []
        for part in re.split(r"[,;\s]+", text.replace("%", " ")):
            if not part:
                continue
            try:
                percent = float(part)
            except ValueError:
                percent = -1.0
            if not 0 < percent < 100:
                raise forms.ValidationError(
                    _("“%(value)s” is not a percentage above 0 and below 100."), code="invalid", params={"value": part}
                )
            fractions.append(round(percent / 100, 4))
        return sorted(set(fractions))


class TimeTextField(forms.CharField):
    """A local time of day typed as 9:00 or 09:00 ("24:00" is midnight at the end of the day)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.update(size="5", maxlength="5", autocomplete="off", inputmode="numeric")

    def to_python(self, value: Any) -> str:
        text = (super().to_python(value) or "").replace(".", ":")
        if not text:
            return ""
        match = _TIME.fullmatch(text)
        hour, minute = (int(match.group(1)), int(match.group(2) or 0)) if match else (99, 0)
        if not (hour < 24 and minute < 60) and (hour, minute) != (24, 0):
            raise forms.ValidationError(
                _("“%(value)s” is not a time such as 09:00."), code="invalid", params={"value": text}
            )
        return f"{hour:02d}:{minute:02d}"


def _split(text: str) -> list[str]:
    """ "vip, late arrival" → ["vip", "late arrival"]."""
    return [part.strip() for part in text.split(",") if part.strip()]


def _ticks(label: StrOrPromise, choices: Sequence[tuple[str, StrOrPromise]]) -> forms.MultipleChoiceField:
    """A condition: boxes to tick, none ticked meaning any."""
    return forms.MultipleChoiceField(
        label=label, choices=FixedChoices(choices), required=False, widget=forms.CheckboxSelectMultiple
    )


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# --- policies -----------------------------------------------------------------------------


class PolicyForm(ReadOnlyForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    position = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        max_value=1_000_000,
        help_text=_("Policies are tried from the lowest number up; the first whose conditions all match applies."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False)
    calendar = forms.TypedChoiceField(
        label=_("Calendar"), coerce=int, help_text=_("The business hours and holidays the clocks count in.")
    )
    organisations = forms.TypedMultipleChoiceField(
        label=_("Organisations"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("None selected: any organisation. A contract names its policy directly."),
    )
    teams = forms.TypedMultipleChoiceField(
        label=_("Teams"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("None selected: any team."),
    )
    channels = _ticks(_("Channels"), Channel.choices)
    priorities = _ticks(_("Priorities"), Priority.choices)
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=1000,
        help_text=_("Separate tags with commas. A ticket matches with any one of them; empty: any ticket."),
    )
    warn_at = PercentagesField(
        label=_("Warn at (% of the target)"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": "100"}),
        help_text=_("Percentages separated by commas, such as 75, 90. Empty: 75 and 90. The breach is always alarmed."),
    )
    breach_raise_priority = forms.BooleanField(label=_("Raise the priority one step"), required=False)
    breach_team = forms.TypedChoiceField(label=_("Move to team"), coerce=int, empty_value=None, required=False)
    breach_notify_supervisors = forms.BooleanField(label=_("Notify the supervisors"), required=False)

    def __init__(
        self,
        data: Any = None,
        *,
        policy: Policy | None,
        calendars: Sequence[Calendar],
        organisations: Sequence[Organisation],
        teams: Sequence[Team],
    ) -> None:
        initial: dict[str, Any] = {"position": 0, "is_active": True, "warn_at": list(DEFAULT_WARN_AT)}
        if policy is not None:
            initial = {
                "name": policy.name,
                "position": policy.position,
                "is_active": policy.is_active,
                "calendar": policy.calendar_id,
                "organisations": policy.organisations,
                "teams": policy.teams,
                "channels": policy.channels,
                "priorities": policy.priorities,
                "tags": ", ".join(policy.tags),
                "warn_at": policy.warn_at or list(DEFAULT_WARN_AT),
                "breach_raise_priority": policy.breach_raise_priority,
                "breach_team": policy.breach_team_id,
                "breach_notify_supervisors": policy.breach_notify_supervisors,
            }
            for target in policy.targets.all():
                for metric in Metric.values:
                    initial[f"{target.priority}_{metric}"] = getattr(target, f"{metric}_minutes")
        super().__init__(data, initial=initial)
        self.calendars = {calendar.pk: calendar for calendar in calendars}
        self.team_by_id = {team.pk: team for team in teams}
        self.fields["calendar"].choices = FixedChoices(NONE, [(str(c.pk), c.name) for c in calendars])  # type: ignore[attr-defined]
        organisation_choices = [(str(o.pk), o.name) for o in organisations]
        self.fields["organisations"].choices = FixedChoices(organisation_choices)  # type: ignore[attr-defined]
        self.fields["teams"].choices = FixedChoices([(str(t.pk), t.name) for t in teams])  # type: ignore[attr-defined]
        self.fields["breach_team"].choices = FixedChoices(NONE, [(str(t.pk), t.name) for t in teams])  # type: ignore[attr-defined]
        for priority, priority_label in Priority.choices:
            for metric, metric_label in Metric.choices:
                label = f"{priority_label}: {metric_label}"
                self.fields[f"{priority}_{metric}"] = DurationField(label=label)
                self.fields[f"{priority}_{metric}"].widget.attrs["aria-label"] = label

    def target_rows(self) -> list[tuple[StrOrPromise, list[forms.BoundField]]]:
        """The targets table: a row per priority, a cell per metric."""
        return [
            (label, [self[f"{priority}_{metric}"] for metric in Metric.values]) for priority, label in Priority.choices
        ]

    def policy_arguments(self) -> dict[str, Any]:
        """The keyword arguments of services.policy_save."""
        data = self.cleaned_data
        targets = []
        for priority in Priority.values:
            minutes = {f"{metric}_minutes": data[f"{priority}_{metric}"] for metric in Metric.values}
            if any(value is not None for value in minutes.values()):
                targets.append(TargetInput(priority=priority, **minutes))
        return {
            "name": data["name"],
            "calendar": self.calendars[data["calendar"]],
            "targets": targets,
            "position": data["position"],
            "is_active": data["is_active"],
            "organisations": data["organisations"],
            "teams": data["teams"],
            "channels": data["channels"],
            "priorities": data["priorities"],
            "tags": _split(data["tags"]),
            "warn_at": data["warn_at"] or DEFAULT_WARN_AT,
            "breach_raise_priority": data["breach_raise_priority"],
            "breach_team": self.team_by_id.get(data["breach_team"]) if data["breach_team"] is not None else None,
            "breach_notify_supervisors": data["breach_notify_supervisors"],
        }


# --- calendars ---------------------------------------------------------------------------


@functools.cache
def _time_zones() -> list[str]:
    return sorted(available_timezones())


def _hours_field(day: int, interval: int, end: str) -> str:
    return f"day{day}_{interval}_{end}"


class CalendarForm(ReadOnlyForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    time_zone = forms.ChoiceField(label=_("Time zone"), help_text=_("Business hours are local times in this zone."))
    always_open = forms.BooleanField(
        label=_("Open 24/7"),
        required=False,
        help_text=_("The clocks run around the clock; the hours below are ignored."),
    )

    def __init__(self, data: Any = None, *, calendar: Calendar | None) -> None:
        initial: dict[str, Any] = {"time_zone": settings.TIME_ZONE}
        if calendar is not None:
            initial = {"name": calendar.name, "time_zone": calendar.time_zone, "always_open": calendar.always_open}
            for day, pairs in (calendar.hours or {}).items():
                for interval, (opens, closes) in enumerate(pairs[:INTERVALS_PER_DAY]):
                    initial[_hours_field(int(day), interval, "opens")] = opens
                    initial[_hours_field(int(day), interval, "closes")] = closes
        super().__init__(data, initial=initial)
        zones = _time_zones()
        if initial["time_zone"] not in zones:
            zones = sorted([*zones, initial["time_zone"]])
        self.fields["time_zone"].choices = FixedChoices((zone, zone) for zone in zones)  # type: ignore[attr-defined]
        for day, day_name in WEEKDAYS.items():
            for interval in range(INTERVALS_PER_DAY):
                for end, label in (("opens", _("%(day)s opens")), ("closes", _("%(day)s closes"))):
                    text = label % {"day": day_name}
                    field = self.fields[_hours_field(day, interval, end)] = TimeTextField(label=text)
                    field.widget.attrs.update({"aria-label": text, "placeholder": PLACEHOLDERS[interval][end]})

    def day_rows(self) -> list[tuple[StrOrPromise, list[tuple[forms.BoundField, forms.BoundField]]]]:
        """The business hours table: a row per weekday (Monday first), a pair of times per interval."""
        return [
            (
                day_name,
                [
                    (self[_hours_field(day, i, "opens")], self[_hours_field(day, i, "closes")])
                    for i in range(INTERVALS_PER_DAY)
                ],
            )
            for day, day_name in WEEKDAYS.items()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for day in WEEKDAYS:
            for interval in range(INTERVALS_PER_DAY):
                opens, closes = _hours_field(day, interval, "opens"), _hours_field(day, interval, "closes")
                if opens in data and closes in data and bool(data[opens]) != bool(data[closes]):
                    self.add_error(closes if data[opens] else opens, _("Type both times of the interval, or neither."))
        return data

    def calendar_arguments(self) -> dict[str, Any]:
        """The keyword arguments of services.calendar_save."""
        data = self.cleaned_data
        hours = {}
        for day in WEEKDAYS:
            pairs = [
                [data[_hours_field(day, i, "opens")], data[_hours_field(day, i, "closes")]]
                for i in range(INTERVALS_PER_DAY)
            ]
            if filled := [pair for pair in pairs if pair[0]]:
                hours[str(day)] = filled
        return {
            "name": data["name"],
            "time_zone": data["time_zone"],
            "always_open": data["always_open"],
            "hours": hours,
        }


class HolidayForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    first_day = forms.DateField(label=_("First day"), widget=_date_input())
    last_day = forms.DateField(
        label=_("Last day"), required=False, widget=_date_input(), help_text=_("Empty for a single day.")
    )

    def __init__(self, data: Any = None) -> None:
        super().__init__(data, prefix="holiday")

    def holiday_arguments(self) -> dict[str, Any]:
        """The keyword arguments of services.holiday_add."""
        data = self.cleaned_data
        return {"name": data["name"], "first_day": data["first_day"], "last_day": data["last_day"]}


class HolidayImportForm(ServiceForm):
    file = forms.FileField(
        label=_("iCalendar file (.ics)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".ics,text/calendar"}),
        help_text=_("Its all-day events become holidays; importing the same file again updates them."),
    )

    def __init__(self, data: Any = None, files: Any = None) -> None:
        super().__init__(data, files, prefix="ics")

    def clean_file(self) -> UploadedFile:
        file: UploadedFile = self.cleaned_data["file"]
        if (file.size or 0) > MAX_ICS_BYTES:
            raise forms.ValidationError(_("The file is over 1 MB: that is not a calendar of holidays."), code="size")
        return file

    def ics(self) -> bytes:
        file: UploadedFile = self.cleaned_data["file"]
        return file.read()


# --- contracts -------------------------------------------------------------------------


class ContractForm(ReadOnlyForm):
    organisation = forms.TypedChoiceField(label=_("Organisation"), coerce=int)
    name = forms.CharField(label=_("Name"), max_length=200)
    policy = forms.TypedChoiceField(
        label=_("Policy"), coerce=int, help_text=_("Applies to the organisation's tickets while the contract runs.")
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=_date_input())
    ends_on = forms.DateField(
        label=_("Ends on"), required=False, widget=_date_input(), help_text=_("Empty: runs until further notice.")
    )

    def __init__(
        self,
        data: Any = None,
        *,
        contract: Contract | None,
        organisations: Sequence[Organisation],
        policies: Sequence[Policy],
        today: date,
    ) -> None:
        initial: dict[str, Any] = {"starts_on": today}
        if contract is not None:
            initial = {
                "organisation": contract.organisation_id,
                "name": contract.name,
                "policy": contract.policy_id,
                "starts_on": contract.starts_on,
                "ends_on": contract.ends_on,
            }
        super().__init__(data, initial=initial)
        self.organisations = {organisation.pk: organisation for organisation in organisations}
        self.policies = {policy.pk: policy for policy in policies}
        self.fields["organisation"].choices = FixedChoices(NONE, [(str(o.pk), o.name) for o in organisations])  # type: ignore[attr-defined]
        self.fields["policy"].choices = FixedChoices(NONE, [(str(p.pk), p.name) for p in policies])  # type: ignore[attr-defined]

    def contract_arguments(self) -> dict[str, Any]:
        """The keyword arguments of services.contract_save."""
        data = self.cleaned_data
        return {
            "organisation": self.organisations[data["organisation"]],
            "name": data["name"],
            "policy": self.policies[data["policy"]],
            "starts_on": data["starts_on"],
            "ends_on": data["ends_on"],
        }
