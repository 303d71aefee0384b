from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from frontdesk.accounts.models import Contact, Organisation, Team, User
from frontdesk.tickets.models import Ticket


class Programme(models.Model):
    """The one survey programme (FB3): settings that hold across every survey. A single row (pk 1)."""

    throttle_days = models.PositiveIntegerField(_("days between two surveys to one contact"), default=30)
    # FB7: the CSAT of the last 90 days on a public page and an embeddable badge.
    public_score = models.BooleanField(_("publish the CSAT score"), default=False)
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return "Survey programme"


class SurveyKind(models.TextChoices):
    TRANSACTIONAL = "transactional", _("Transactional")
    RELATIONSHIP = "relationship", _("Relationship")


class Trigger(models.TextChoices):
    """What sends a transactional survey."""

    TICKET_SOLVED = "ticket_solved", _("Ticket solved")
    CHAT_ENDED = "chat_ended", _("Chat ended (chat ticket solved)")
    CALL_LOGGED = "call_logged", _("Call logged (phone ticket created)")
    MILESTONE = "milestone", _("Milestone (sent through the API)")


class Survey(models.Model):
    """A questionnaire and when it is sent: after an event (FB1) or on a schedule (FB2)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=SurveyKind.choices, default=SurveyKind.TRANSACTIONAL)
    is_active = models.BooleanField(_("active"), default=True)
    # {"en": "…", "es": "…"}: the invitation's opening words; missing languages use the built-in text.
    intro = models.JSONField(_("introduction"), default=dict, blank=True)
    # Transactional: the event, the channels it applies to (empty: all), and the wait after it.
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    delay_minutes = models.PositiveIntegerField(_("delay (minutes)"), default=24 * 60)
    # Relationship: which organisations, how often, how many contacts each, and when next.
    organisations = models.ManyToManyField(Organisation, blank=True, related_name="+", verbose_name=_("organisations"))
    every_months = models.PositiveIntegerField(_("every (months)"), default=3)
    contacts_per_organisation = models.PositiveIntegerField(_("contacts per organisation"), default=5)
    next_round_at = models.DateTimeField(_("next round"), null=True, blank=True)
    # Reminders to those who have not answered (0: none).
    reminder_after_hours = models.PositiveIntegerField(_("remind after (hours)"), default=72)
    reminders = models.PositiveIntegerField(_("reminders"), default=1)
    # The closed loop (FB4): who owns follow-ups when neither the ticket nor the account names a
    # team, how long they have, and whether "merely satisfied" key accounts get one too.
    followup_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("business unit")
    )
    followup_days = models.PositiveIntegerField(_("days to resolve a follow-up"), default=2)
    satisfied_followup = models.BooleanField(_("follow up merely satisfied key accounts"), default=True)
    satisfied_followup_days = models.PositiveIntegerField(_("max days to resolve (merely satisfied)"), default=14)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class QuestionKind(models.TextChoices):
    CSAT = "csat", _("Satisfaction (CSAT 1–5)")
    CES = "ces", _("Effort (CES 1–7)")
    NPS = "nps", _("Recommendation (NPS 0–10)")
    YES_NO = "yes_no", _("Yes or no")
    COMMENT = "comment", _("Comment")
    CHOICE = "choice", _("Choice")


# The values an answer of each kind may take (a choice's value is its index).
SCALES: dict[str, range] = {
    QuestionKind.CSAT: range(1, 6),
    QuestionKind.CES: range(1, 8),
    QuestionKind.NPS: range(0, 11),
    QuestionKind.YES_NO: range(0, 2),
}


class Topic(models.TextChoices):
    """What a relationship question asks about (FB2's question set)."""

    OVERALL = "overall", _("Overall")
    SALES_SUPPORT = "sales_support", _("Sales support")
    PERFORMANCE = "performance", _("Performance")
    RESPONSE_TIME = "response_time", _("Response time")
    REPRESENTATIVE = "representative", _("Your representative")
    EASE = "ease", _("Ease of doing business")
    SOLVED = "solved", _("Problem solved")
    HELP_CENTRE = "help_centre", _("Help-centre article")


class Question(models.Model):
    """One question of a survey. Scores are ordered so that higher is better (CES: 7 = very easy;
    yes/no: 1 = yes). An answer at or below `alert_at_most` is dissatisfied, at or below
    `satisfied_at_most` merely satisfied (FB4)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices, blank=True)
    # {"en": "…", "es": "…"}; missing languages use the built-in text of the kind or topic.
    text = models.JSONField(_("text"), default=dict, blank=True)
    # A choice question's options: {"en": ["…", "…"], "es": [...]}.
    choices = models.JSONField(_("choices"), default=dict, blank=True)
    alert_at_most = models.IntegerField(_("dissatisfied at or below"), null=True, blank=True)
    satisfied_at_most = models.IntegerField(_("merely satisfied at or below"), null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.kind}"


class InvitationStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    THROTTLED = "throttled", _("Not sent: surveyed recently")
    OPTED_OUT = "opted_out", _("Not sent: opted out")
    UNDELIVERABLE = "undeliverable", _("Not sent: no address")
    CANCELLED = "cancelled", _("Cancelled")


class Invitation(models.Model):
    """One survey to one contact: scheduled, then sent or not (and why), reminded, answered.

    Where it came from (ticket, agent, team, channel, organisation, region, product, booking
    stage) is copied in when it is made, so that dashboards break scores down without joins."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A relationship round (its date), or the milestone's name for one sent through the API.
    occasion = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=10)
    to_address = models.CharField(max_length=320, blank=True)
    status = models.CharField(max_length=20, choices=InvitationStatus.choices, default=InvitationStatus.SCHEDULED)
    reason = models.CharField(max_length=300, blank=True)
    send_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveIntegerField(default=0)
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    # Dimensions.
    agent = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=20, blank=True)
    region = models.CharField(max_length=100, blank=True)
    product = models.CharField(max_length=100, blank=True)
    booking_stage = models.CharField(max_length=20, blank=True)

    class Meta:
        indexes = [
            # The sweep: invitations due to be sent, and sent ones due a reminder.
            models.Index(fields=["send_at"], name="invitation_due", condition=Q(status="scheduled")),
            models.Index(fields=["next_reminder_at"], name="invitation_reminder_due", condition=Q(status="sent")),
            # The throttle (FB3): a contact's sends around an instant — one index probe.
            models.Index(fields=["contact", "sent_at"], name="invitation_contact_sent"),
            # Dashboards (surveys.scores): response rates over a period, overall, per bucket and per
            # dimension, filtered by any dimension — read from this index alone (covering), never the
            # table: one range of sent_at for "sent" and one for "answered".
            models.Index(
                fields=[
                    "status",
                    "sent_at",
                    "survey",
                    "agent",
                    "team",
                    "organisation",
                    "channel",
                    "region",
                    "product",
                    "booking_stage",
                ],
                name="invitation_dashboard",
            ),
        ]
        constraints = [
            # A ticket's event schedules a survey once, however often the handler runs.
            models.UniqueConstraint(
                fields=["survey", "ticket"], name="invitation_once_per_ticket", condition=Q(ticket__isnull=False)
            ),
            # A relationship round or a milestone reaches a contact once.
            models.UniqueConstraint(
                fields=["survey", "contact", "occasion"], name="invitation_once_per_occasion", condition=~Q(occasion="")
            ),
            models.CheckConstraint(condition=Q(status__in=InvitationStatus.values), name="invitation_status_valid"),
        ]
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.survey_id} to {self.contact_id} ({self.status})"


class MonthFigures(models.Model):
    """The dashboards' rollup: one UTC month's counts for one value of a dimension (an agent, a
    channel …; "" for the answers and invitations without one), and for each pair of values of two
    dimensions (an agent's answers in one channel …), so that a summary or a breakdown over a long
    period, filtered by one dimension or two, adds up a few rows per month instead of every answer
    and invitation (`scores` reads the hours and days around the whole months from the rows).

    Kept by database triggers (migration 0003), in the transaction of every write to answers and
    invitations, whatever makes it (services, the demo, bulk loads, cascades, the admin): exact by
    construction. The counts are those `scores` reads from the rows: scores by the UTC month of
    `answered_at`, invitations sent (and of those answered) by the UTC month of `sent_at`, each
    under the dimension values on its row — those copied in when the invitation was made (see
    docs/surveys.md). A pair's dimensions are in name order (`dimension` < `other_dimension`); a
    single value has "" for both `other_` fields. A row whose answers were changed away keeps zeros."""

    month = models.DateField()  # its first day
    dimension = models.CharField(max_length=20)  # a key of scores.DIMENSIONS
    value = models.CharField(max_length=100, blank=True)  # the id or the value; "" for none
    other_dimension = models.CharField(max_length=20, blank=True)  # "": all of `value`'s answers
    other_value = models.CharField(max_length=100, blank=True)
    csat_answers = models.IntegerField(default=0)
    csat_satisfied = models.IntegerField(default=0)  # CSAT 4–5
    nps_answers = models.IntegerField(default=0)
    promoters = models.IntegerField(default=0)  # NPS 9–10
    detractors = models.IntegerField(default=0)  # NPS 0–6
    ces_answers = models.IntegerField(default=0)
    ces_total = models.BigIntegerField(default=0)  # the sum of CES scores
    sent = models.IntegerField(default=0)  # invitations sent (answered or not)
    answered = models.IntegerField(default=0)  # of those, answered

    class Meta:
        constraints = [
            # The triggers' upsert target; also scores' read of one value's months (and of a pair's,
            # grouped by the other dimension's value).
            models.UniqueConstraint(
                fields=["dimension", "value", "other_dimension", "month", "other_value"],
                name="monthfigures_one_per_values",
            ),
        ]
        indexes = [
            # scores: a dimension's months grouped by its value, alone or with the other's value fixed.
            models.Index(
                fields=["dimension", "other_dimension", "other_value", "month", "value"], name="monthfigures_by_other"
            ),
        ]

    def __str__(self) -> str:
        other = f" {self.other_dimension}={self.other_value}" if self.other_dimension else ""
        return f"{self.month:%Y-%m} {self.dimension}={self.value}{other}"


class Recipient(models.Model):
    """A contact as the throttle (FB3) sees them: when they were last sent a survey. Made with the
    contact's first send; every send locks this row (`services.invitation_send`), so that sends to
    one contact queue on it and each decides from it: a send after the last one needs no query."""

    contact = models.OneToOneField(Contact, primary_key=True, on_delete=models.CASCADE, related_name="+")
    last_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recipient {self.contact_id}"


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")


class Answer(models.Model):
    """One answered question. A customer may change an answer; the row is updated.

    Carries the invitation's dimensions and, for comments, the offline analysis (language,
    sentiment, themes, idea) so that dashboards read one table."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=QuestionKind.choices)
    topic = models.CharField(max_length=20, blank=True)
    score = models.SmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField()
    # Dimensions (copied from the invitation).
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=20, blank=True)
    region = models.CharField(max_length=100, blank=True)
    product = models.CharField(max_length=100, blank=True)
    booking_stage = models.CharField(max_length=20, blank=True)
    # Comment analysis (surveys.text), empty for scores.
    language = models.CharField(max_length=10, blank=True)
    sentiment = models.FloatField(null=True, blank=True)
    sentiment_label = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    themes = models.JSONField(default=list, blank=True)
    is_idea = models.BooleanField(default=False)

    class Meta:
        indexes = [
            # Dashboards (surveys.scores): CSAT, NPS and CES over a period — summaries, trends, breakdowns
            # by any dimension, any filter, the public score — read from this index alone (covering): one
            # range per kind, never the table. Also the drill-down of one kind, newest first.
            models.Index(
                fields=[
                    "kind",
                    "answered_at",
                    "score",
                    "survey",
                    "agent",
                    "team",
                    "organisation",
                    "channel",
                    "region",
                    "product",
                    "booking_stage",
                ],
                name="answer_dashboard",
            ),
            # The drill-down of every kind, newest first, a page at a time (keyset on time and id).
            models.Index(fields=["answered_at", "id"], name="answer_time"),
            # Comments over a period: themes, sentiment, languages.
            models.Index(fields=["answered_at"], name="answer_comments", condition=~Q(comment="")),
            # Ideas and suggestions, newest first.
            models.Index(fields=["-answered_at"], name="answer_ideas", condition=Q(is_idea=True)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["invitation", "question"], name="answer_once_per_question"),
        ]
        ordering = ["-answered_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind}={self.score} ({self.invitation_id})"


class OptOut(models.Model):
    """A contact who asked for no more surveys (FB3). Honoured by every send and reminder."""

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="survey_opt_out")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"opt-out {self.contact_id}"


class FollowUpLevel(models.TextChoices):
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    SATISFIED = "satisfied", _("Merely satisfied (key account)")


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class FollowUp(models.Model):
    """The closed loop (FB4): an unhappy answer that someone must act on, until it is closed with
    an action plan and an outcome note."""

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="follow_up")
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(_("level"), max_length=20, choices=FollowUpLevel.choices)
    status = models.CharField(_("status"), max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups")
    due_at = models.DateTimeField(_("due"))
    action_plan = models.TextField(_("action plan"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [
            # The "Follow-ups" view: open ones by due date, all or an owner's.
            models.Index(fields=["due_at"], name="followup_open_due", condition=Q(status="open")),
            models.Index(fields=["owner", "due_at"], name="followup_owner_due", condition=Q(status="open")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | (~Q(action_plan="") & ~Q(outcome="")), name="followup_closed_with_notes"
            ),
        ]
        ordering = ["due_at", "pk"]

    def __str__(self) -> str:
        return f"follow-up {self.pk} ({self.level}, {self.status})"
