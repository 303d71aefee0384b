"""What the REST API reads and writes for surveys: the programme, surveys with their questions,
invitations and their answers, opt-outs, follow-ups, and the scores of the dashboard."""

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AwareDatetime, ValidationInfo, field_validator

from frontdesk.accounts.schemas import AgentRef, ContactRef, TeamRef
from frontdesk.api.schemas import Blankable, Id, Input
from frontdesk.reports.schemas import PeriodQuery
from frontdesk.surveys import scores
from frontdesk.surveys.models import (
    Answer,
    FollowUp,
    FollowUpLevel,
    FollowUpStatus,
    Invitation,
    InvitationStatus,
    QuestionKind,
    Sentiment,
    Survey,
    SurveyKind,
    Topic,
    Trigger,
)
from frontdesk.surveys.scores import Filters
from frontdesk.surveys.selectors import answers_in_order
from frontdesk.surveys.services import question_text
from frontdesk.tickets.models import BookingStage, Channel

# Counts and durations are stored in 32-bit columns; the services check the ranges that make sense.
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]
Threshold = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
Text = Annotated[str, Field(max_length=1000)]
Choice = Annotated[str, Field(max_length=200)]
TEXTS_HELP = 'By language: {"en": "…", "es": "…", "lt": "…"}; a language left out gets the built-in wording.'


def _refuse_null(value: object) -> object:
    """For a patch's fields that may be left out but not emptied."""
    if value is None:
        raise ValueError("this field cannot be null; leave it out to keep its value")
    return value


# --- the programme -------------------------------------------------------------------------


class ProgrammeOut(Schema):
    """Settings that hold across every survey (FB3, FB7)."""

    throttle_days: int = Field(description="A contact is not surveyed again within this many days, by any survey.")
    public_score: bool = Field(description="The CSAT of the last 90 days is published (GET /public/csat, badge).")
    updated_at: datetime | None


class ProgrammePatch(Input):
    """Only the fields sent change."""

    throttle_days: int | None = Field(None, description="0 to 365; 0 turns the throttle off.")
    public_score: bool | None = None

    _not_null = field_validator("throttle_days", "public_score")(_refuse_null)


# --- surveys and questions -----------------------------------------------------------------


class QuestionOut(Schema):
    id: int
    position: int
    kind: QuestionKind
    topic: Topic | Literal[""] = Field(description="What a relationship question asks about; empty for none.")
    text: dict[str, str] = Field(description=TEXTS_HELP)
    choices: dict[str, list[str]] = Field(description='A choice question\'s options by language: {"en": ["…", …]}.')
    alert_at_most: int | None = Field(description="An answer at or below this is dissatisfied: a follow-up opens.")
    satisfied_at_most: int | None = Field(
        description="At or below this (and above the alert) is merely satisfied: followed up on key accounts."
    )


class QuestionIn(Input):
    """Scores are ordered so that higher is better: CSAT 1–5, CES 1–7 (7 = very easy), NPS 0–10,
    yes/no 1 = yes, a choice its option's index."""

    kind: QuestionKind
    topic: Blankable[Topic] = Field(None, description="What a relationship question asks about.")
    text: dict[str, Text] = Field(default_factory=dict, description=TEXTS_HELP)
    choices: dict[str, list[Choice]] = Field(
        default_factory=dict, description="A choice question's options by language; English is required."
    )
    alert_at_most: Threshold | None = Field(
        None, description="Leave out for the kind's default (CSAT 2, CES 3, NPS 6, yes/no 0); null: never."
    )
    satisfied_at_most: Threshold | None = Field(
        None, description="Leave out for the kind's default (CSAT 4, CES 5, NPS 8); null: never."
    )


class SurveyRef(Schema):
    id: int
    name: str


class SurveyOut(Schema):
    """A questionnaire and when it is sent: after an event (transactional) or in rounds (relationship)."""

    id: int
    name: str
    kind: SurveyKind
    is_active: bool
    intro: dict[str, str] = Field(description="The invitation's opening words. " + TEXTS_HELP)
    trigger: Trigger | Literal[""] = Field(description="What sends a transactional survey; empty for relationship.")
    channels: list[Channel] = Field(description="The tickets' channels it applies to; empty: all.")
    delay_minutes: int = Field(description="Wait after the event before sending.")
    organisations: list[int] = Field(description="Organisation ids whose contacts a relationship survey asks.")
    every_months: int
    contacts_per_organisation: int
    next_round_at: datetime | None = Field(description="When the next relationship round starts.")
    reminder_after_hours: int
    reminders: int = Field(description="Reminders to those who have not answered (0: none).")
    followup_team: TeamRef | None = Field(
        description="Business unit: owns follow-ups when neither the ticket's team nor the account owner does."
    )
    followup_days: int = Field(description="A dissatisfied answer's follow-up is due within this many days.")
    satisfied_followup: bool = Field(description="Merely satisfied answers from key accounts are followed up too.")
    satisfied_followup_days: int = Field(description="Days to resolve those (max days to resolve).")
    questions: list[QuestionOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_organisations(survey: Survey) -> list[int]:
        return [organisation.pk for organisation in survey.organisations.all()]


class SurveyIn(Input):
    """The whole survey: the questions sent replace the old ones (answers keep a question while its
    kind at that position stays the same)."""

    name: str = Field(max_length=100)
    kind: SurveyKind = SurveyKind.TRANSACTIONAL
    is_active: bool = True
    intro: dict[str, Annotated[str, Field(max_length=2000)]] = Field(default_factory=dict, description=TEXTS_HELP)
    trigger: Blankable[Trigger] = Field(None, description="Required for a transactional survey.")
    channels: list[Channel] = Field(default_factory=list, description="Empty: any channel.")
    delay_minutes: Count = Field(24 * 60, description="Up to 30 days.")
    organisations: list[Id] = Field(
        default_factory=list, max_length=1000, description="Organisation ids; required for a relationship survey."
    )
    every_months: Count = Field(3, description="1 to 24.")
    contacts_per_organisation: Count = Field(5, description="1 to 100; those who wrote most recently first.")
    next_round_at: AwareDatetime | None = Field(None, description="The first round; by default at once.")
    reminder_after_hours: Count = Field(72, description="1 hour to 30 days.")
    reminders: Count = Field(1, description="0 to 3.")
    followup_team: Id | None = Field(None, description="Team id of the business unit.")
    followup_days: Count = Field(2, description="1 to 90.")
    satisfied_followup: bool = True
    satisfied_followup_days: Count = Field(14, description="1 to 180.")
    questions: list[QuestionIn] = Field(max_length=20, description="1 to 20, in the order they are asked.")


# --- invitations and answers ---------------------------------------------------------------


class AnswerOut(Schema):
    """One answered question, with where it came from and (for comments) what the offline analysis found."""

    id: int
    invitation: int = Field(alias="invitation_id", description="Invitation id.")
    survey: int = Field(alias="survey_id", description="Survey id.")
    question: int = Field(alias="question_id", description="Question id.")
    kind: QuestionKind
    topic: str
    score: int | None = Field(description="null for a comment.")
    comment: str
    answered_at: datetime
    contact: int = Field(alias="contact_id", description="Contact id.")
    agent: int | None = Field(alias="agent_id", description="Agent id (the ticket's assignee).")
    team: int | None = Field(alias="team_id", description="Team id.")
    organisation: int | None = Field(alias="organisation_id", description="Organisation id.")
    channel: str
    region: str
    product: str
    booking_stage: str
    language: str = Field(description="The comment's language, detected offline.")
    sentiment: float | None = Field(description="-1 (negative) to 1 (positive); null without a comment.")
    sentiment_label: Sentiment | Literal[""]
    themes: list[str] = Field(description="Theme keys found in the comment (GET /survey-scores/themes names them).")
    is_idea: bool = Field(description="The comment is an idea or a suggestion.")


class AnswerDetailOut(AnswerOut):
    """An answer with what was asked (in the customer's language), of whom, and after whose help."""

    ticket: int | None = Field(
        alias="invitation.ticket_id", description="The ticket the survey was about (id), if any."
    )
    question_text: str = Field(description="The question as the customer read it.")
    survey_name: str = Field(alias="survey.name")
    contact_name: str = Field(alias="contact.name")
    agent_name: str = Field(description="Empty without an agent.")

    @staticmethod
    def resolve_question_text(answer: Answer) -> str:
        return question_text(answer.question, answer.invitation.language)

    @staticmethod
    def resolve_agent_name(answer: Answer) -> str:
        return answer.agent.name if answer.agent else ""


class InvitationOut(Schema):
    """One survey to one contact: scheduled, then sent or not (and why), reminded, answered."""

    id: int
    survey: SurveyRef
    contact: ContactRef
    ticket: int | None = Field(alias="ticket_id", description="The ticket whose event sent it (id), if any.")
    occasion: str = Field(description="The relationship round or the milestone; empty for a ticket's survey.")
    language: str
    to_address: str = Field(description="Where it was sent.")
    status: InvitationStatus
    reason: str = Field(description="Why it was not sent (throttled, opted out, no address…).")
    send_at: datetime
    sent_at: datetime | None
    reminders_sent: int
    answered_at: datetime | None
    created_at: datetime
    agent: int | None = Field(alias="agent_id", description="Agent id (the ticket's assignee).")
    team: int | None = Field(alias="team_id", description="Team id.")
    organisation: int | None = Field(alias="organisation_id", description="Organisation id.")
    channel: str
    region: str
    product: str
    booking_stage: str


class InvitationDetailOut(InvitationOut):
    answers: list[AnswerDetailOut] = Field(description="In the order of the survey's questions.")
    follow_up: int | None = Field(description="The follow-up an unhappy answer opened (id), if any.")

    @staticmethod
    def resolve_answers(invitation: Invitation) -> list[Answer]:
        return answers_in_order(invitation)

    @staticmethod
    def resolve_follow_up(invitation: Invitation) -> int | None:
        try:
            return invitation.follow_up.pk
        except FollowUp.DoesNotExist:
            return None


class InvitationPageOut(Schema):
    items: list[InvitationOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class InvitationQuery(Input):
    status: Blankable[InvitationStatus] = Field(None, description="Only invitations in this state.")
    limit: int = Field(25, ge=1, le=100)
    cursor: str = Field("", description="The `next_cursor` of the previous page.")


class MilestoneIn(Input):
    """An event outside the helpdesk (an implementation milestone) surveys a contact, once per milestone."""

    contact: Id = Field(description="Contact id.")
    occasion: str = Field(max_length=100, description="The milestone's name, e.g. “Go-live”.")


class OptOutOut(Schema):
    contact: int = Field(description="Contact id.")
    survey_opted_out: bool = Field(description="The contact asked for no more surveys; none is sent or reminded.")


# --- follow-ups ----------------------------------------------------------------------------


class FollowUpOut(Schema):
    """An unhappy answer someone must act on (FB4), until closed with an action plan and an outcome."""

    id: int
    level: FollowUpLevel
    status: FollowUpStatus
    team: TeamRef | None = Field(description="The responsible team.")
    owner: AgentRef | None
    due_at: datetime
    escalated_at: datetime | None = Field(description="When it went to the supervisors, overdue.")
    action_plan: str
    outcome: str
    created_at: datetime
    closed_at: datetime | None
    closed_by: int | None = Field(alias="closed_by_id", description="Agent id.")
    survey: SurveyRef = Field(alias="invitation.survey")
    contact: ContactRef = Field(alias="invitation.contact")
    ticket: int | None = Field(
        alias="invitation.ticket_id", description="The ticket the survey was about (id), if any."
    )
    invitation: int = Field(alias="invitation_id", description="Invitation id.")
    answer: AnswerOut = Field(description="The answer that opened it.")


class FollowUpDetailOut(FollowUpOut):
    answers: list[AnswerDetailOut] = Field(description="Every answer of the invitation, in the order of the questions.")

    @staticmethod
    def resolve_answers(follow_up: FollowUp) -> list[Answer]:
        return answers_in_order(follow_up.invitation)


class FollowUpPageOut(Schema):
    items: list[FollowUpOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class FollowUpQuery(Input):
    status: Literal["open", "closed", "all"] = Field(
        "open", description="Open ones come by due date, soonest first; closed ones (and all) newest first."
    )
    mine: bool = Field(False, description="Only those I own.")
    overdue: bool = Field(False, description="Only those due by now.")
    limit: int = Field(25, ge=1, le=100)
    cursor: str = Field("", description="The `next_cursor` of the previous page.")


class FollowUpPatch(Input):
    """Only the fields sent change. Supervisors and admins reassign (`owner: null`: nobody) and
    reschedule; the owner writes the action plan too."""

    owner: Id | None = Field(None, description="Agent id.")
    due_at: AwareDatetime | None = Field(None, description="Rescheduling clears the escalation.")
    action_plan: str | None = Field(None, max_length=10000)

    _not_null = field_validator("due_at", "action_plan")(_refuse_null)


class FollowUpCloseIn(Input):
    """Both notes are required: the action plan (leave out to keep the one written before) and the outcome."""

    action_plan: str | None = Field(None, max_length=10000)
    outcome: str = Field(max_length=10000)


# --- scores --------------------------------------------------------------------------------

Dimension = Literal["survey", "agent", "team", "organisation", "channel", "region", "product", "booking_stage"]
Bucket = Literal["day", "week", "month"]
# In the filters, 0 (ids) or "-" (the others) keeps the answers without one: a breakdown's row "-".
DimensionId = Annotated[int, Field(ge=0, le=2**63 - 1)]
NOT_SET_HELP = "0 keeps the answers without one."
NOT_SET_TEXT = f'"{scores.NOT_SET}" keeps the answers without one.'


class ScoreQuery(PeriodQuery):
    """A period (`start` and `end` dates, both included, or a named `period`), and the dashboard's filters."""

    survey: Blankable[DimensionId] = Field(None, description="Survey id.")
    agent: Blankable[DimensionId] = Field(None, description="Agent id; " + NOT_SET_HELP)
    team: Blankable[DimensionId] = Field(None, description="Team id; " + NOT_SET_HELP)
    organisation: Blankable[DimensionId] = Field(None, description="Organisation id; " + NOT_SET_HELP)
    channel: str = Field(
        "", description=NOT_SET_TEXT, json_schema_extra={"enum": ["", *Channel.values, scores.NOT_SET]}
    )
    region: str = Field("", max_length=100, description=NOT_SET_TEXT)
    product: str = Field("", max_length=100, description=NOT_SET_TEXT)
    booking_stage: str = Field(
        "", description=NOT_SET_TEXT, json_schema_extra={"enum": ["", *BookingStage.values, scores.NOT_SET]}
    )

    @field_validator("channel", "booking_stage")
    @classmethod
    def _a_choice(cls, value: str, info: ValidationInfo) -> str:
        choices = {"channel": Channel, "booking_stage": BookingStage}[info.field_name or ""]
        if value and value != scores.NOT_SET and value not in choices.values:
            raise ValueError(f"use one of: {', '.join(choices.values)}, or {scores.NOT_SET}")
        return value

    def filters(self) -> Filters:
        return Filters(
            survey_id=self.survey,
            agent_id=self.agent,
            team_id=self.team,
            organisation_id=self.organisation,
            channel=self.channel,
            region=self.region,
            product=self.product,
            booking_stage=self.booking_stage,
        )


class TrendQuery(ScoreQuery):
    bucket: Bucket = Field("week", description="One point per day, week (from Monday) or month.")


class BreakdownQuery(ScoreQuery):
    dimension: Dimension = Field(description="What the rows are.")


class IdeaQuery(ScoreQuery):
    limit: int = Field(50, ge=1, le=100)
    cursor: str = Field("", description="The `next_cursor` of the previous page.")


class AnswerQuery(IdeaQuery):
    kind: Blankable[QuestionKind] = Field(None, description="Only answers to questions of this kind.")
    score: int | None = Field(None, ge=-(2**15), le=2**15 - 1, description="Only answers with this score.")
    score_min: int | None = Field(None, ge=-(2**15), le=2**15 - 1, description="Scores from this one (promoters: 9).")
    score_max: int | None = Field(None, ge=-(2**15), le=2**15 - 1, description="Scores up to this one (detractors: 6).")
    theme: str = Field("", max_length=50, description="Only comments with this theme key.")
    sentiment: Blankable[Sentiment] = Field(None, description="Only comments with this sentiment.")
    text: str = Field("", max_length=200, description="Only comments that contain this text.")


class ThemeQuery(ScoreQuery):
    limit: int = Field(10, ge=1, le=50)
    bucket: Bucket = Field("week", description="The buckets of `over_time`.")


class PhraseQuery(PeriodQuery):
    language: str = Field(max_length=10, description="The comments' language, e.g. es.")
    limit: int = Field(10, ge=1, le=50)


class SummaryOut(Schema):
    """The industry's definitions: CSAT = % of 4–5 answers; NPS = % promoters (9–10) − % detractors
    (0–6); CES the average (1–7, 7 = very easy); response rate = % of the invitations sent in the
    period that were answered. null where there is nothing to count."""

    csat: float | None
    csat_answers: int
    nps: float | None
    nps_answers: int
    promoters: int
    passives: int
    detractors: int
    ces: float | None
    ces_answers: int
    sent: int
    answered: int
    response_rate: float | None


class PeriodOut(Schema):
    start: datetime = Field(description="The period is [start, end).")
    end: datetime
    first_day: date
    last_day: date = Field(description="Included.")


class ScoreSummaryOut(PeriodOut):
    summary: SummaryOut


class TrendPointOut(Schema):
    start: date = Field(description="The first day of the bucket.")
    summary: SummaryOut


class ScoreTrendOut(PeriodOut):
    bucket: Bucket
    points: list[TrendPointOut]


class BreakdownRowOut(Schema):
    key: str = Field(description='An id (survey, agent, team, organisation) or the value; "-" for none.')
    label: str
    summary: SummaryOut


class ScoreBreakdownOut(PeriodOut):
    dimension: Dimension
    rows: list[BreakdownRowOut] = Field(description="Most answers first.")


class AnswerPageOut(Schema):
    items: list[AnswerDetailOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class ThemeCountOut(Schema):
    key: str
    label: str
    count: int = Field(description="Comments with this theme.")
    negative: int = Field(description="Of which negative.")


class ThemePointOut(Schema):
    start: date = Field(description="The first day of the bucket.")
    counts: dict[str, int] = Field(description="Comments by theme key.")


class ScoreThemesOut(PeriodOut):
    themes: list[ThemeCountOut] = Field(description="The most frequent first.")
    bucket: Bucket
    over_time: list[ThemePointOut] = Field(description="Every theme in every bucket.")


class PhraseOut(Schema):
    phrase: str
    count: int


class ScorePhrasesOut(PeriodOut):
    language: str
    phrases: list[PhraseOut] = Field(description="Recurring phrases no theme names yet, most frequent first.")


class PublicScoreOut(Schema):
    """The published CSAT (FB7): the share of 4–5 answers over the last 90 days."""

    csat: float | None = Field(description="Percent; null without answers.")
    answers: int
    start: datetime
    end: datetime
