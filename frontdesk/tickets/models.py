from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from frontdesk.accounts.models import Contact, Organisation, Team, User


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


# Which status may follow which. "new" is only ever the first; "closed" is final.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.OPEN: frozenset({Status.PENDING, Status.ON_HOLD, Status.SOLVED}),
    Status.PENDING: frozenset({Status.OPEN, Status.ON_HOLD, Status.SOLVED}),
    Status.ON_HOLD: frozenset({Status.OPEN, Status.PENDING, Status.SOLVED}),
    Status.SOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
UNSOLVED = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class TicketType(models.TextChoices):
    QUESTION = "question", _("Question")
    INCIDENT = "incident", _("Incident")
    PROBLEM = "problem", _("Problem")
    TASK = "task", _("Task")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WEB = "web", _("Web form")
    CHAT = "chat", _("Chat")
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    AIRBNB = "airbnb", _("Airbnb message")
    BOOKING_COM = "booking_com", _("Booking.com message")
    API = "api", _("API")


class BookingStage(models.TextChoices):
    PRE_BOOKING = "pre_booking", _("Pre-booking")
    POST_BOOKING = "post_booking", _("Post-booking")
    PRE_CHECK_IN = "pre_check_in", _("Pre-check-in")
    IN_STAY = "in_stay", _("In stay")
    POST_STAY = "post_stay", _("Post-stay")


class BookingChannel(models.TextChoices):
    AIRBNB = "airbnb", _("Airbnb")
    BOOKING_COM = "booking_com", _("Booking.com")
    VRBO = "vrbo", _("Vrbo")
    DIRECT = "direct", _("Direct")
    OTHER = "other", _("Other")


class Outcome(models.TextChoices):
    """What an inquiry led to, for the inquiry-to-booking conversion rate (set by the agent or a booking system)."""

    BOOKED = "booked", _("Booked")
    NOT_BOOKED = "not_booked", _("Not booked")


class BookingPhase(models.TextChoices):
    """Which side of the booking a reply was written on: reports average response times per phase."""

    BEFORE = "before", _("Before booking")
    AFTER = "after", _("After booking")


class Tag(models.Model):
    name = models.SlugField(max_length=50, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    """A customer's request. Its id is the ticket number shown to people."""

    subject = models.CharField(_("subject"), max_length=300)
    # The foreign keys of requester, organisation, team and assignee need no index of their own:
    # each leads a composite index below (ticket_requester_act, ticket_organisation_created,
    # ticket_team_act, ticket_assignee_status_act), which serves the same lookups; one index
    # less is one less to write on every new ticket.
    requester = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="tickets", db_index=False)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    type = models.CharField(_("type"), max_length=10, choices=TicketType.choices, blank=True)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets", db_index=False
    )
    assignee = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets", db_index=False
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    language = models.CharField(_("language"), max_length=10, blank=True)
    booking_stage = models.CharField(_("booking stage"), max_length=20, choices=BookingStage.choices, blank=True)
    booking_channel = models.CharField(_("booking channel"), max_length=20, choices=BookingChannel.choices, blank=True)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    # When the current assignee got the ticket, and when they first opened it (never: routing may move it).
    assigned_at = models.DateTimeField(null=True, blank=True)
    assignee_opened_at = models.DateTimeField(null=True, blank=True)
    # The customer spoke last and no agent has answered yet.
    awaiting_agent = models.BooleanField(default=True)
    # Since when: the customer's oldest unanswered message (None while no one waits).
    awaiting_since = models.DateTimeField(null=True, blank=True)
    needs_manager = models.BooleanField(_("needs manager"), default=False)
    needs_manager_reason = models.TextField(blank=True)

    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    last_activity_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    last_agent_reply_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # A merged ticket is closed and forwards everything that arrives for it to its target.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A ticket opened by a reply to one closed too long ago.
    follow_up_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The earliest deadline of the ticket's running SLA clocks (past: breached); kept by the sla app.
    sla_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Inbox views are "filter, newest activity first, 25 at a time".
            # Team views (an agent's usual inbox), with or without a status.
            models.Index(fields=["team", "status", "-last_activity_at", "-id"], name="ticket_team_status_act"),
            # Team views over several statuses (Open = new + open): read in activity order
            # and filtered, since neither database merges several index ranges in order.
            models.Index(fields=["team", "-last_activity_at", "-id"], name="ticket_team_act"),
            # Assigned / unassigned views by status, and "my" views.
            models.Index(fields=["assignee", "status", "-last_activity_at", "-id"], name="ticket_assignee_status_act"),
            # An agent's "Unassigned" and "My unanswered" counts: assignee, status, team and
            # awaiting_agent from the index alone.
            models.Index(
                fields=["assignee", "status", "team", "awaiting_agent"], name="ticket_assignee_status_waiting"
            ),
            # Status views across teams (Open, Pending) for supervisors.
            models.Index(fields=["status", "-last_activity_at", "-id"], name="ticket_status_act"),
            # "All", and the fallback order.
            models.Index(fields=["-last_activity_at", "-id"], name="ticket_act"),
            # An organisation's tickets created in a period (the SLA contract report).
            models.Index(fields=["organisation", "created_at"], name="ticket_organisation_created"),
            # A requester's other tickets, a contact's timeline.
            models.Index(fields=["requester", "-last_activity_at"], name="ticket_requester_act"),
            # "Needs manager" is a small set: index only those rows, by team for agents' views;
            # with the assignee, an agent's count reads the index alone.
            models.Index(
                fields=["team", "-last_activity_at", "-id", "assignee"],
                name="ticket_needs_manager_cover",
                condition=Q(needs_manager=True),
            ),
            # The routing queue: unassigned tickets waiting on an agent, oldest first.
            models.Index(
                fields=["awaiting_since", "id"],
                name="ticket_routing_queue",
                condition=Q(assignee__isnull=True, awaiting_agent=True, status__in=["new", "open"]),
            ),
            # Per-agent reports: what each agent received in a period, and how many pre-booking
            # inquiries were booked; covering, so the report reads only the index.
            models.Index(
                fields=["assignee", "assigned_at", "booking_stage", "outcome"], name="ticket_assignee_assigned"
            ),
            # Periodic close of solved tickets; and per-agent reports, tickets solved in a period
            # by assignee (covering).
            models.Index(fields=["status", "solved_at", "assignee"], name="ticket_status_solved"),
            # Inbox views sorted by "next SLA due", and "breached" / "due within the hour", per team
            # and across teams; only tickets with a running clock are in it.
            models.Index(
                fields=["team", "sla_due_at", "id"], name="ticket_team_sla_due", condition=Q(sla_due_at__isnull=False)
            ),
            models.Index(fields=["sla_due_at", "id"], name="ticket_sla_due", condition=Q(sla_due_at__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="ticket_status_valid"),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="ticket_priority_valid"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


class MessageKind(models.TextChoices):
    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")


class Message(models.Model):
    """One entry of a ticket's conversation: a customer's message, an agent's reply or an internal note."""

    # No index of its own: message_ticket_created leads with it.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages", db_index=False)
    kind = models.CharField(max_length=10, choices=MessageKind.choices, default=MessageKind.REPLY)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    author_agent = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    author_contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body_text = models.TextField(blank=True)
    # Sanitised on the way in; safe to render.
    body_html = models.TextField(blank=True)
    # The new part of the message, without quoted history or signature (set by e-mail).
    stripped_text = models.TextField(blank=True)
    created_at = models.DateTimeField()
    # An agent's reply that answered a waiting customer: how long they waited, whether it was
    # the ticket's first response, and on which side of the booking (for productivity reports).
    response_seconds = models.PositiveIntegerField(null=True, blank=True)
    first_response = models.BooleanField(default=False)
    booking_phase = models.CharField(max_length=10, choices=BookingPhase.choices, blank=True)
    # Since when the customer had waited (the start of the wait this reply ended): SLA clocks key on it.
    awaited_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="message_ticket_created"),
            # Response-time reports: replies that answered someone, by period and agent.
            # (Covering for the agent report's response times, for a database whose planner has no
            # statistics to choose the one below.)
            models.Index(
                fields=["created_at", "author_agent", "response_seconds", "first_response", "booking_phase"],
                name="message_responses",
                condition=Q(response_seconds__isnull=False),
            ),
            # The agent report's response times: per agent, first response or not, before or after
            # booking, over a period. Covering, and in the order the report groups by, so SQLite
            # (with statistics: ANALYZE) reads it group by group instead of sorting a year of replies.
            models.Index(
                fields=["author_agent", "first_response", "booking_phase", "created_at", "response_seconds"],
                name="message_response_report",
                condition=Q(response_seconds__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(author_agent__isnull=True) | Q(author_contact__isnull=True), name="message_one_author"
            ),
            models.CheckConstraint(
                condition=~Q(kind="note") | Q(author_contact__isnull=True), name="message_note_by_agent"
            ),
        ]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on #{self.ticket_id}"

    @property
    def is_from_customer(self) -> bool:
        return self.author_contact_id is not None


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="%Y/%m/%d/")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # An e-mail's inline image: the HTML body refers to it as cid:<content_id>.
    content_id = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return self.filename


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    CHANGED = "changed", _("Changed")
    REPLIED = "replied", _("Replied")
    NOTE_ADDED = "note_added", _("Added a note")
    CUSTOMER_MESSAGE = "customer_message", _("Customer wrote")
    ESCALATED_TO_MANAGER = "escalated_to_manager", _("Escalated to a manager")
    ESCALATION_RESOLVED = "escalation_resolved", _("Escalation resolved")
    ESCALATED_TO_TEAM = "escalated_to_team", _("Escalated to a team")
    REQUESTER_MERGED = "requester_merged", _("Requester merged")
    MERGED = "merged", _("Merged")
    FOLLOW_UP = "follow_up", _("Follow-up ticket")
    REOPENED = "reopened", _("Reopened")
    DELIVERY_FAILED = "delivery_failed", _("Delivery failed")
    ROUTED = "routed", _("Assigned by routing")


class TicketEvent(models.Model):
    """The audit trail: one row for every change to a ticket, never updated."""

    # No index of its own: ticketevent_ticket_created leads with it.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", db_index=False)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    field = models.CharField(max_length=50, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketevent_ticket_created")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.field} on #{self.ticket_id}"
