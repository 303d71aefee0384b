"""Forms of the survey pages. They parse and show input; surveys.services decides and writes.

The customer's answer form has a field per question (a scale of buttons, yes/no, a choice, a
comment). The settings form of a survey carries up to 20 question rows; a row left empty is
ignored, and the service's refusal of a question is shown on its row.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from frontdesk.accounts.models import Organisation, Team, User
from frontdesk.core.errors import FrontdeskError
from frontdesk.core.services import UNSET, Unset
from frontdesk.sla.forms import format_minutes, parse_minutes
from frontdesk.surveys.models import (
    Answer,
    FollowUp,
    Programme,
    Question,
    QuestionKind,
    Survey,
    SurveyKind,
    Topic,
    Trigger,
)
from frontdesk.surveys.services import QuestionInput, question_choices, question_text, scale
from frontdesk.tickets.models import Channel
from frontdesk.workspace.forms import NONE, FixedChoices, ReadOnlyForm, ServiceForm

MAX_QUESTIONS = 20
LANGUAGES: list[tuple[str, StrOrPromise]] = list(settings.LANGUAGES)
# The words at either end of a scale, for the customer (the number buttons sit between them).
SCALE_ENDS: dict[str, tuple[StrOrPromise, StrOrPromise]] = {
    QuestionKind.CSAT: (_("Very dissatisfied"), _("Very satisfied")),
    QuestionKind.CES: (_("Very difficult"), _("Very easy")),
    QuestionKind.NPS: (_("Not at all likely"), _("Extremely likely")),
}


def _local_minute(moment: datetime | None) -> datetime | None:
    """A stored instant as a datetime-local input shows it (site time, to the minute)."""
    return timezone.localtime(moment).replace(second=0, microsecond=0) if moment else None


def _datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


# --- the customer's answers -------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    checked: bool


@dataclass(frozen=True)
class QuestionRow:
    """A question as the customer's page shows it."""

    question: Question
    field: forms.BoundField
    text: str
    options: list[Option]
    low: StrOrPromise = ""
    high: StrOrPromise = ""


class AnswerForm(ServiceForm):
    """The customer's answers: a field `q<id>` per question, none required (any one will do)."""

    def __init__(
        self, data: Any = None, *, questions: Sequence[Question], language: str, earlier: Sequence[Answer] = ()
    ) -> None:
        by_question = {answer.question_id: answer for answer in earlier}
        initial: dict[str, Any] = {}
        for question in questions:
            answer = by_question.get(question.pk)
            if answer is not None:
                initial[f"q{question.pk}"] = answer.comment if question.kind == QuestionKind.COMMENT else answer.score
        super().__init__(data, initial=initial)
        self.questions = list(questions)
        self.language = language
        for question in self.questions:
            name = f"q{question.pk}"
            if question.kind == QuestionKind.COMMENT:
                self.fields[name] = forms.CharField(
                    required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
                )
            else:
                values = [str(value) for value in scale(question)]
                self.fields[name] = forms.TypedChoiceField(
                    required=False, coerce=int, empty_value=None, choices=[(v, v) for v in values]
                )
            self.fields[name].label = question_text(question, language)

    def _options(self, question: Question, selected: str) -> list[Option]:
        if question.kind == QuestionKind.YES_NO:
            labels = [("1", str(_("Yes"))), ("0", str(_("No")))]
        elif question.kind == QuestionKind.CHOICE:
            labels = [(str(i), label) for i, label in enumerate(question_choices(question, self.language))]
        else:
            labels = [(str(value), str(value)) for value in scale(question)]
        return [Option(value, label, value == selected) for value, label in labels]

    def rows(self) -> list[QuestionRow]:
        rows = []
        for question in self.questions:
            field = self[f"q{question.pk}"]
            value = field.value()
            selected = "" if value is None else str(value)
            low, high = SCALE_ENDS.get(question.kind, ("", ""))
            options = [] if question.kind == QuestionKind.COMMENT else self._options(question, selected)
            rows.append(QuestionRow(question, field, str(field.label), options, low, high))
        return rows

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not any(value not in (None, "") for value in data.values()):
            raise forms.ValidationError(_("Choose an answer or write a comment first."), code="empty")
        return data

    def answers(self) -> dict[int, tuple[int | None, str]]:
        """The answers given, as services.answers_record takes them (unanswered questions left out)."""
        given: dict[int, tuple[int | None, str]] = {}
        for question in self.questions:
            value = self.cleaned_data.get(f"q{question.pk}")
            if question.kind == QuestionKind.COMMENT:
                if value:
                    given[question.pk] = (None, value)
            elif value is not None:
                given[question.pk] = (value, "")
        return given

    @contextmanager
    def service_errors(self) -> Iterator[None]:
        """A refusal naming `question_<id>` is shown on that question."""
        try:
            yield
        except FrontdeskError as error:
            field = (error.field or "").replace("question_", "q")
            self.add_error(field if field in self.fields else None, error.message)
            self.error_status = error.status


# --- follow-ups ------------------------------------------------------------------------


class FollowUpForm(ServiceForm):
    """Owner, due date (supervisors and admins) and action plan (the owner too)."""

    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int, empty_value=None, required=False)
    due_at = forms.DateTimeField(label=_("Due"), widget=_datetime_input())
    action_plan = forms.CharField(
        label=_("Action plan"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What will be done for the customer, and by when."),
    )

    def __init__(self, data: Any = None, *, follow_up: FollowUp, agents: Sequence[User], manager: bool) -> None:
        initial = {
            "owner": follow_up.owner_id,
            "due_at": _local_minute(follow_up.due_at),
            "action_plan": follow_up.action_plan,
        }
        super().__init__(data, initial=initial, prefix="update")
        self.agents = {agent.pk: agent for agent in agents}
        choices = [(str(agent.pk), agent.name) for agent in agents]
        if follow_up.owner is not None and follow_up.owner_id not in self.agents:
            choices.append((str(follow_up.owner_id), follow_up.owner.name))  # an owner no longer assignable
        self.fields["owner"].choices = FixedChoices(NONE, choices)  # type: ignore[attr-defined]
        if not manager:
            self.fields["owner"].disabled = True
            self.fields["due_at"].disabled = True

    def update_arguments(self) -> dict[str, Any]:
        """The keyword arguments of services.followup_update: what changed only (a due date given
        again would clear its escalation)."""
        data, changed = self.cleaned_data, set(self.changed_data)
        arguments: dict[str, Any] = {"action_plan": data["action_plan"]}
        if "owner" in changed:
            arguments["owner"] = self.agents.get(data["owner"]) if data["owner"] is not None else None
        if "due_at" in changed:
            arguments["due_at"] = data["due_at"]
        return arguments


class FollowUpCloseForm(ServiceForm):
    """Closing takes the action plan and an outcome note (the service requires both)."""

    action_plan = forms.CharField(
        label=_("Action plan"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    outcome = forms.CharField(
        label=_("Outcome"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What happened: did the customer get what they needed?"),
    )

    def __init__(self, data: Any = None, *, follow_up: FollowUp) -> None:
        super().__init__(data, initial={"action_plan": follow_up.action_plan}, prefix="close")

    def close_arguments(self) -> dict[str, Any]:
        return {"action_plan": self.cleaned_data["action_plan"], "outcome": self.cleaned_data["outcome"]}


# --- the programme and key accounts ----------------------------------------------------


class ProgrammeForm(ReadOnlyForm):
    throttle_days = forms.IntegerField(
        label=_("Days between two surveys to one contact"),
        min_value=0,
        max_value=365,
        help_text=_("Across every survey: a contact surveyed more recently is skipped, and the skip is logged."),
    )
    public_score = forms.BooleanField(
        label=_("Publish the CSAT score"),
        required=False,
        help_text=_("A public page and an embeddable badge with the CSAT of the last 90 days."),
    )

    def __init__(self, data: Any = None, *, programme: Programme) -> None:
        initial = {"throttle_days": programme.throttle_days, "public_score": programme.public_score}
        super().__init__(data, initial=initial, prefix="programme")

    def programme_arguments(self) -> dict[str, Any]:
        return {"throttle_days": self.cleaned_data["throttle_days"], "public_score": self.cleaned_data["public_score"]}


class KeyAccountsForm(ReadOnlyForm):
    key_accounts = forms.TypedMultipleChoiceField(
        label=_("Key accounts"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_(
            "A merely satisfied answer from a key account opens a lower-priority follow-up "
            "(when the survey asks for it). Hold Ctrl or ⌘ to select several."
        ),
    )

    def __init__(self, data: Any = None, *, organisations: Sequence[Organisation]) -> None:
        initial = {"key_accounts": [o.pk for o in organisations if o.key_account]}
        super().__init__(data, initial=initial, prefix="accounts")
        self.organisations = list(organisations)
        self.fields["key_accounts"].choices = FixedChoices([(str(o.pk), o.name) for o in organisations])  # type: ignore[attr-defined]

    def changes(self) -> list[tuple[Organisation, bool]]:
        """The organisations whose flag changes, with their new flag."""
        chosen = set(self.cleaned_data["key_accounts"])
        return [(o, o.pk in chosen) for o in self.organisations if o.key_account != (o.pk in chosen)]


# --- a survey and its questions ------------------------------------------------------


class MinutesField(forms.CharField):
    """Minutes typed as minutes (90) or with units (1h 30m, 2d); 0 is allowed."""

    def __init__(self, *, max_minutes: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_minutes = max_minutes
        self.widget.attrs.update(size="8", maxlength="30", autocomplete="off", spellcheck="false")

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int):
            return format_minutes(value) if value else "0"
        return value

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]  # minutes, not text
        text = super().to_python(value)
        if not text:
            return None
        minutes = parse_minutes(text)
        if minutes > self.max_minutes:
            raise forms.ValidationError(
                _("At most %(limit)s."), code="range", params={"limit": format_minutes(self.max_minutes)}
            )
        return minutes


def _threshold(label: StrOrPromise) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=False, min_value=0, max_value=10, widget=forms.NumberInput(attrs={"class": "narrow"})
    )


class QuestionForm(ServiceForm):
    """One question row of the survey form: empty rows are ignored."""

    kind = forms.ChoiceField(label=_("Kind"), required=False)
    topic = forms.ChoiceField(label=_("Topic"), required=False)
    alert_at_most = _threshold(_("Dissatisfied at or below"))
    satisfied_at_most = _threshold(_("Merely satisfied at or below"))

    def __init__(self, data: Any = None, *, index: int, question: Question | None) -> None:
        initial: dict[str, Any] = {}
        if question is not None:
            initial = {
                "kind": question.kind,
                "topic": question.topic,
                "alert_at_most": question.alert_at_most,
                "satisfied_at_most": question.satisfied_at_most,
            }
            for code, _name in LANGUAGES:
                initial[f"text_{code}"] = question.text.get(code, "")
                initial[f"choices_{code}"] = "\n".join(question.choices.get(code, []))
        super().__init__(data, initial=initial, prefix=f"q{index}")
        self.index = index
        self.fields["kind"].choices = FixedChoices(NONE, QuestionKind.choices)  # type: ignore[attr-defined]
        self.fields["topic"].choices = FixedChoices(NONE, Topic.choices)  # type: ignore[attr-defined]
        for code, name in LANGUAGES:
            self.fields[f"text_{code}"] = forms.CharField(
                label=_("Text (%(language)s)") % {"language": name}, required=False, max_length=500
            )
            self.fields[f"choices_{code}"] = forms.CharField(
                label=_("Choices (%(language)s), one per line") % {"language": name},
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def texts(self) -> list[forms.BoundField]:
        return [self[f"text_{code}"] for code, _name in LANGUAGES]

    def choice_fields(self) -> list[forms.BoundField]:
        return [self[f"choices_{code}"] for code, _name in LANGUAGES]

    def is_empty(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(value not in (None, "") for value in data.values())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        filled = any(value not in (None, "") for name, value in data.items() if name != "kind")
        if filled and not data.get("kind"):
            self.add_error("kind", _("Choose the kind of question, or empty the row."))
        return data

    def question_input(self) -> QuestionInput:
        data = self.cleaned_data

        def threshold(name: str) -> int | Unset | None:
            # Empty: the kind's usual threshold (services.DEFAULT_THRESHOLDS).
            return UNSET if data[name] is None else data[name]

        return QuestionInput(
            kind=data["kind"],
            topic=data["topic"],
            text={code: data[f"text_{code}"] for code, _name in LANGUAGES if data[f"text_{code}"]},
            choices={code: _lines(data[f"choices_{code}"]) for code, _name in LANGUAGES if data[f"choices_{code}"]},
            alert_at_most=threshold("alert_at_most"),
            satisfied_at_most=threshold("satisfied_at_most"),
        )


def _ticks(label: StrOrPromise, choices: Sequence[tuple[str, StrOrPromise]]) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label, choices=FixedChoices(choices), required=False, widget=forms.CheckboxSelectMultiple
    )


def _number(label: StrOrPromise, low: int, high: int, help_text: StrOrPromise = "") -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=low, max_value=high, help_text=help_text)


class SurveyForm(ReadOnlyForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=FixedChoices(SurveyKind.choices),
        help_text=_("Transactional: after an event. Relationship: to chosen organisations on a schedule."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False)
    trigger = forms.ChoiceField(label=_("Sent after"), required=False, choices=FixedChoices(NONE, Trigger.choices))
    channels = _ticks(_("Channels"), Channel.choices)
    delay_minutes = MinutesField(
        label=_("Delay"),
        required=False,
        max_minutes=60 * 24 * 30,
        help_text=_("After the event: minutes (90) or with units (1h 30m, 1d). 0: at once."),
    )
    organisations = forms.TypedMultipleChoiceField(
        label=_("Organisations"), coerce=int, required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    every_months = _number(_("Every (months)"), 1, 24)
    contacts_per_organisation = _number(
        _("Contacts per organisation"), 1, 100, _("Those who wrote to us most recently.")
    )
    next_round_at = forms.DateTimeField(
        label=_("Next round"), required=False, widget=_datetime_input(), help_text=_("Empty: at once.")
    )
    reminders = _number(_("Reminders"), 0, 3, _("To those who have not answered; 0: none."))
    reminder_after_hours = _number(_("Remind after (hours)"), 1, 24 * 30)
    followup_team = forms.TypedChoiceField(
        label=_("Business unit"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_(
            "Owns follow-ups when neither the ticket's team nor an account owner does (its lead is the owner)."
        ),
    )
    followup_days = _number(_("Days to resolve a follow-up"), 1, 90)
    satisfied_followup = forms.BooleanField(label=_("Follow up merely satisfied key accounts"), required=False)
    satisfied_followup_days = _number(_("Max days to resolve (merely satisfied)"), 1, 180)

    def __init__(
        self,
        data: Any = None,
        *,
        survey: Survey | None,
        organisations: Sequence[Organisation],
        teams: Sequence[Team],
    ) -> None:
        defaults = Survey()
        source = survey or defaults
        initial: dict[str, Any] = {
            "name": source.name,
            "kind": source.kind,
            "is_active": source.is_active,
            "trigger": source.trigger or (Trigger.TICKET_SOLVED if survey is None else ""),
            "channels": source.channels,
            "delay_minutes": source.delay_minutes,
            "every_months": source.every_months,
            "contacts_per_organisation": source.contacts_per_organisation,
            "next_round_at": _local_minute(source.next_round_at),
            "reminders": source.reminders,
            "reminder_after_hours": source.reminder_after_hours,
            "followup_team": source.followup_team_id,
            "followup_days": source.followup_days,
            "satisfied_followup": source.satisfied_followup,
            "satisfied_followup_days": source.satisfied_followup_days,
            "organisations": [o.pk for o in survey.organisations.all()] if survey else [],
        }
        for code, _name in LANGUAGES:
            initial[f"intro_{code}"] = source.intro.get(code, "")
        super().__init__(data, initial=initial)
        self.survey = survey
        self.organisation_by_id = {o.pk: o for o in organisations}
        self.team_by_id = {t.pk: t for t in teams}
        self.fields["organisations"].choices = FixedChoices([(str(o.pk), o.name) for o in organisations])  # type: ignore[attr-defined]
        self.fields["followup_team"].choices = FixedChoices(NONE, [(str(t.pk), t.name) for t in teams])  # type: ignore[attr-defined]
        for code, name in LANGUAGES:
            self.fields[f"intro_{code}"] = forms.CharField(
                label=_("Introduction (%(language)s)") % {"language": name},
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        existing = list(survey.questions.all()) if survey else []
        self.question_forms = [
            QuestionForm(data, index=i, question=existing[i] if i < len(existing) else None)
            for i in range(MAX_QUESTIONS)
        ]
        # Rows shown at once: the questions and two empty rows (at least three); the rest folded away.
        self.visible_rows = max(len(existing) + 2, 3)

    def make_read_only(self) -> None:
        super().make_read_only()
        for row in self.question_forms:
            for field in row.fields.values():
                field.disabled = True
        self.visible_rows = max(len(self.survey.questions.all()) if self.survey else 0, 1)

    def intros(self) -> list[forms.BoundField]:
        return [self[f"intro_{code}"] for code, _name in LANGUAGES]

    def shown_questions(self) -> list[QuestionForm]:
        return self.question_forms[: self.visible_rows]

    def folded_questions(self) -> list[QuestionForm]:
        return [] if self.read_only else self.question_forms[self.visible_rows :]

    def is_valid(self) -> bool:
        invalid_rows = [row for row in self.question_forms if not row.is_valid()]  # every row, for its errors
        return super().is_valid() and not invalid_rows

    def _filled_rows(self) -> list[QuestionForm]:
        return [row for row in self.question_forms if not row.is_empty()]

    def survey_arguments(self) -> dict[str, Any]:
        """The keyword arguments of services.survey_save."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "kind": data["kind"],
            "is_active": data["is_active"],
            "intro": {code: data[f"intro_{code}"] for code, _name in LANGUAGES},
            "trigger": data["trigger"],
            "channels": data["channels"],
            "delay_minutes": data["delay_minutes"] or 0,
            "organisations": [self.organisation_by_id[pk] for pk in data["organisations"]],
            "every_months": data["every_months"],
            "contacts_per_organisation": data["contacts_per_organisation"],
            "next_round_at": data["next_round_at"],
            "reminders": data["reminders"],
            "reminder_after_hours": data["reminder_after_hours"],
            "followup_team": self.team_by_id.get(data["followup_team"]) if data["followup_team"] else None,
            "followup_days": data["followup_days"],
            "satisfied_followup": data["satisfied_followup"],
            "satisfied_followup_days": data["satisfied_followup_days"],
            "questions": [row.question_input() for row in self._filled_rows()],
        }

    @contextmanager
    def service_errors(self) -> Iterator[None]:
        """A refusal naming `questions.<n>` is shown on the n-th filled row."""
        try:
            yield
        except FrontdeskError as error:
            self.error_status = error.status
            field = error.field or ""
            if field.startswith("questions."):
                rows = self._filled_rows()
                position = int(field.split(".")[1])
                if position < len(rows):
                    rows[position].add_error(None, error.message)
                    return
            self.add_error(field if field in self.fields else None, error.message)
