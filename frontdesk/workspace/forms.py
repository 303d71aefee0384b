"""Forms of the agent workspace. They parse and show input; the services decide and write."""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from frontdesk.accounts.models import Team, User
from frontdesk.core.errors import FrontdeskError
from frontdesk.routing.models import RoutingProfile
from frontdesk.tickets.models import (
    TRANSITIONS,
    BookingChannel,
    BookingStage,
    Channel,
    Outcome,
    Priority,
    Status,
    Ticket,
    TicketType,
)
from frontdesk.tickets.selectors import SlaFilter, Sort, TicketFilters
from frontdesk.tickets.services import ASSIGNABLE_ROLES
from frontdesk.workspace.renderer import RENDERER

Choices = list[tuple[str, StrOrPromise]]
ANY: Choices = [("", _("Any"))]
NONE: Choices = [("", "—")]


class WorkspaceForm(forms.Form):
    """A form of the workspace: its widgets are built by the workspace's renderer."""

    default_renderer = RENDERER


class ServiceForm(WorkspaceForm):
    """A form whose input goes to a service; the service's error is shown beside the form."""

    error_status = 422

    @contextmanager
    def service_errors(self) -> Iterator[None]:
        try:
            yield
        except FrontdeskError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
            self.error_status = error.status


class ReadOnlyForm(ServiceForm):
    """A settings form that those who may not change it see with every field disabled: they may
    read it, not change it. Templates hide the buttons when `form.read_only`."""

    read_only = False

    def make_read_only(self) -> None:
        self.read_only = True
        for field in self.fields.values():
            field.disabled = True


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the services check their size and type."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(file, initial) for file in files if file]


class FixedChoices(BaseChoiceIterator):
    """(value, label) pairs that a choice field takes as they are.

    Django normalises a list of choices each time it is set (on the field, then again on
    the widget) and deep-copies it for every form instance: with fifty agents to choose
    from, that was most of the cost of building a form. These pairs are flat and never
    change after the form is built, so they are shared as they are.
    """

    def __init__(self, *groups: Iterable[tuple[str, StrOrPromise]]) -> None:
        self.pairs = [pair for group in groups for pair in group]

    def __iter__(self) -> Iterator[tuple[str, StrOrPromise]]:
        return iter(self.pairs)

    def __copy__(self) -> "FixedChoices":
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> "FixedChoices":
        return self


def _team_choices(teams: Sequence[Team]) -> Choices:
    return [(str(team.pk), team.name) for team in teams]


def _agent_choices(agents: Sequence[User]) -> Choices:
    return [(str(agent.pk), agent.name) for agent in agents]


def _pairs(pairs: Iterable[tuple[int, str]]) -> Choices:
    return [(str(pk), name) for pk, name in pairs]


class InboxFilterForm(WorkspaceForm):
    """The filters above an inbox view. A value that does not parse is ignored, never an error page."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=FixedChoices(ANY, Channel.choices))
    booking_stage = forms.ChoiceField(
        label=_("Booking stage"), required=False, choices=FixedChoices(ANY, BookingStage.choices)
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=FixedChoices(ANY, Status.choices))
    priority = forms.ChoiceField(label=_("Priority"), required=False, choices=FixedChoices(ANY, Priority.choices))
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)
    assignee = forms.TypedChoiceField(label=_("Assignee"), required=False, coerce=int, empty_value=None)
    sla = forms.ChoiceField(label=_("SLA"), required=False, choices=FixedChoices(ANY, SlaFilter.choices))
    # Empty is the usual order, so that the usual inbox keeps short URLs.
    sort = forms.ChoiceField(
        label=_("Sort"), required=False, choices=FixedChoices([("", Sort.ACTIVITY.label), (Sort.SLA, Sort.SLA.label)])
    )

    def __init__(self, data: Any, *, teams: Iterable[tuple[int, str]], agents: Iterable[tuple[int, str]]) -> None:
        """`teams` and `agents` are (id, name) pairs: the filters need no more of them."""
        super().__init__(data)
        self.fields["team"].choices = FixedChoices(ANY, _pairs(teams))  # type: ignore[attr-defined]
        self.fields["assignee"].choices = FixedChoices(ANY, _pairs(agents))  # type: ignore[attr-defined]

    def filters(self, *, view: str) -> TicketFilters:
        self.is_valid()
        data = self.cleaned_data
        return TicketFilters(
            view=view,
            team=data.get("team"),
            channel=data.get("channel", ""),
            booking_stage=data.get("booking_stage", ""),
            status=(data["status"],) if data.get("status") else (),
            priority=data.get("priority", ""),
            tag=data.get("tag", "").strip().lower(),
            assignee=data.get("assignee"),
            q=data.get("q", ""),
            sla=data.get("sla", ""),
            sort=data.get("sort") or Sort.ACTIVITY,
        )


class ReplyForm(ServiceForm):
    body = forms.CharField(
        label=_("Reply to the customer"), required=False, widget=forms.Textarea(attrs={"rows": 5}), max_length=100_000
    )
    attachments = MultipleFileField(label=_("Attach files"))
    # Set by the button pressed: "Send", "Send and mark pending", …
    status = forms.ChoiceField(required=False, choices=FixedChoices(NONE, Status.choices))


class NoteForm(ServiceForm):
    body = forms.CharField(
        label=_("Internal note (agents only)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=100_000,
    )
    attachments = MultipleFileField(label=_("Attach files"))


class PropertiesForm(ServiceForm):
    """The ticket's properties. Each field remembers the value the agent saw, so that only what
    the agent changed is sent: a change someone else made meanwhile is not overwritten."""

    # Not required: a field left out of the request is a field not changed.
    status = forms.ChoiceField(label=_("Status"), required=False, show_hidden_initial=True)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=FixedChoices(Priority.choices), required=False, show_hidden_initial=True
    )
    type = forms.ChoiceField(
        label=_("Type"), choices=FixedChoices(NONE, TicketType.choices), required=False, show_hidden_initial=True
    )
    team = forms.TypedChoiceField(
        label=_("Team"), required=False, coerce=int, empty_value=None, show_hidden_initial=True
    )
    assignee = forms.TypedChoiceField(
        label=_("Assignee"), required=False, coerce=int, empty_value=None, show_hidden_initial=True
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=1000,
        show_hidden_initial=True,
        help_text=_("Separate tags with commas."),
    )
    language = forms.CharField(label=_("Language"), required=False, max_length=10, show_hidden_initial=True)
    booking_stage = forms.ChoiceField(
        label=_("Booking stage"),
        choices=FixedChoices(NONE, BookingStage.choices),
        required=False,
        show_hidden_initial=True,
    )
    booking_channel = forms.ChoiceField(
        label=_("Booking channel"),
        choices=FixedChoices(NONE, BookingChannel.choices),
        required=False,
        show_hidden_initial=True,
    )
    # Whether the inquiry led to a booking (the conversion rate of the reports).
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=FixedChoices(NONE, Outcome.choices),
        required=False,
        show_hidden_initial=True,
    )

    def __init__(
        self, data: Any = None, *, ticket: Ticket, tags: Sequence[str], teams: Sequence[Team], agents: Sequence[User]
    ) -> None:
        initial = {
            "status": ticket.status,
            "priority": ticket.priority,
            "type": ticket.type,
            "team": ticket.team_id,
            "assignee": ticket.assignee_id,
            "tags": ", ".join(tags),
            "language": ticket.language,
            "booking_stage": ticket.booking_stage,
            "booking_channel": ticket.booking_channel,
            "outcome": ticket.outcome,
        }
        super().__init__(data, initial=initial)
        self.teams = {team.pk: team for team in teams}
        self.agents = {agent.pk: agent for agent in agents if agent.role in ASSIGNABLE_ROLES}
        statuses = [ticket.status, *sorted(TRANSITIONS[ticket.status], key=Status.values.index)]
        seen = self.data.get(self.add_initial_prefix("status"))
        if seen in Status.values and seen not in statuses:
            statuses.insert(0, seen)  # the status the agent saw, left as it was while someone else changed it
        self.fields["status"].choices = FixedChoices((value, Status(value).label) for value in statuses)  # type: ignore[attr-defined]
        self.fields["team"].choices = FixedChoices(NONE, _team_choices(teams))  # type: ignore[attr-defined]
        self.fields["assignee"].choices = FixedChoices(NONE, _agent_choices(list(self.agents.values())))  # type: ignore[attr-defined]

    def changes(self) -> dict[str, Any]:
        """The keyword arguments for ticket_update: only the fields the agent changed."""
        data = self.cleaned_data
        changes: dict[str, Any] = {}
        for name in self.changed_data:
            if name == "team":
                changes["team"] = self.teams.get(data["team"]) if data["team"] is not None else None
            elif name == "assignee":
                changes["assignee"] = self.agents.get(data["assignee"]) if data["assignee"] is not None else None
            elif name == "tags":
                changes["tags"] = _names(data["tags"])
            else:
                changes[name] = data[name]
        return changes


class EscalateToManagerForm(ServiceForm):
    reason = forms.CharField(
        label=_("Why does a manager need to look at this?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )


class ResolveEscalationForm(ServiceForm):
    note = forms.CharField(
        label=_("What was decided? (optional)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )


class EscalateToTeamForm(ServiceForm):
    team = forms.TypedChoiceField(label=_("Team"), coerce=int)
    reason = forms.CharField(
        label=_("Why does this go to that team?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )

    def __init__(self, data: Any = None, *, teams: Sequence[Team], current: int | None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.teams = {team.pk: team for team in teams}
        self.fields["team"].choices = FixedChoices(_team_choices([team for team in teams if team.pk != current]))  # type: ignore[attr-defined]

    def chosen_team(self) -> Team:
        return self.teams[self.cleaned_data["team"]]


def _names(text: str) -> list[str]:
    """ "es, en" → ["es", "en"]: a list typed with commas."""
    return [name.strip() for name in text.split(",") if name.strip()]


def _ticks(label: StrOrPromise, choices: Sequence[tuple[str, StrOrPromise]]) -> forms.MultipleChoiceField:
    """A routing condition: boxes to tick, none ticked meaning "any"."""
    return forms.MultipleChoiceField(
        label=label, choices=FixedChoices(choices), required=False, widget=forms.CheckboxSelectMultiple
    )


class RoutingProfileForm(ServiceForm):
    """Which tickets an agent may receive, on their card. A condition with nothing ticked takes any ticket."""

    auto_assign = forms.BooleanField(label=_("Receives tickets automatically"), required=False)
    booking_stages = _ticks(_("Booking stages"), BookingStage.choices)
    booking_channels = _ticks(_("Booking channels"), BookingChannel.choices)
    channels = _ticks(_("Contact channels"), Channel.choices)
    teams = forms.TypedMultipleChoiceField(
        label=_("Teams"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only the teams the agent is a member of. None ticked: any of them."),
    )
    languages = forms.CharField(
        label=_("Languages"),
        required=False,
        max_length=200,
        help_text=_("Language codes separated by commas, such as es, en."),
    )
    priorities = _ticks(_("Priorities"), Priority.choices)
    skills = forms.CharField(
        label=_("Skills"),
        required=False,
        max_length=1000,
        help_text=_("Separate skills with commas. A ticket tagged with a skill goes only to agents who have it."),
    )
    capacity = forms.IntegerField(
        label=_("Capacity"),
        min_value=0,
        max_value=10_000,
        help_text=_("The most unanswered tickets the agent holds at once; 0 for no limit."),
    )

    def __init__(
        self, data: Any = None, *, profile: RoutingProfile, teams: Sequence[Team], read_only: bool = False
    ) -> None:
        """`teams`: the teams the agent is a member of, the only ones their profile may name.
        `read_only`: the profile shown to its agent, who may not change it."""
        saved = not profile._state.adding
        initial = {
            "auto_assign": profile.auto_assign,
            "booking_stages": profile.booking_stages,
            "booking_channels": profile.booking_channels,
            "channels": profile.channels,
            "teams": [team.pk for team in profile.teams.all()] if saved else [],
            "languages": ", ".join(profile.languages),
            "priorities": profile.priorities,
            "skills": ", ".join(skill.name for skill in profile.skills.all()) if saved else "",
            "capacity": profile.capacity,
        }
        super().__init__(data, initial=initial)
        self.member_teams = {team.pk: team for team in teams}
        self.fields["teams"].choices = FixedChoices(_team_choices(teams))  # type: ignore[attr-defined]
        self.read_only = read_only
        for field in self.fields.values():
            field.disabled = read_only

    def profile_arguments(self) -> dict[str, Any]:
        """The keyword arguments for routing_profile_update: the whole profile as the form shows it."""
        data = self.cleaned_data
        return {
            "auto_assign": data["auto_assign"],
            "booking_stages": data["booking_stages"],
            "booking_channels": data["booking_channels"],
            "channels": data["channels"],
            "teams": [self.member_teams[pk] for pk in data["teams"]],
            "languages": _names(data["languages"]),
            "priorities": data["priorities"],
            "skills": _names(data["skills"]),
            "capacity": data["capacity"],
        }
