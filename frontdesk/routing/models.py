from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from frontdesk.accounts.models import Team, User
from frontdesk.tickets.models import Ticket


class AgentState(models.TextChoices):
    OFF = "off", _("Off shift")
    WORKING = "working", _("Working")
    PAUSED = "paused", _("Intake paused")


class Skill(models.Model):
    """Something a ticket may need: a ticket tagged with a skill's name goes only to agents who have it."""

    name = models.SlugField(_("name"), max_length=50, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoutingProfile(models.Model):
    """Which tickets an agent may receive (RT1), and where their shift stands (RT4, RT5).

    An empty list means "any". Set on the agent's card by a supervisor; the state by
    the agent's own timer and intake buttons.
    """

    agent = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True, related_name="routing_profile")
    auto_assign = models.BooleanField(_("receives tickets automatically"), default=True)
    booking_stages = models.JSONField(_("booking stages"), default=list, blank=True)
    booking_channels = models.JSONField(_("booking channels"), default=list, blank=True)
    channels = models.JSONField(_("contact channels"), default=list, blank=True)
    # Empty: any team the agent is a member of (an agent never gets another team's ticket).
    teams = models.ManyToManyField(Team, blank=True, related_name="+", verbose_name=_("teams"))
    languages = models.JSONField(_("languages"), default=list, blank=True)
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    skills = models.ManyToManyField(Skill, blank=True, related_name="profiles", verbose_name=_("skills"))
    # The most unanswered tickets the agent holds at once; 0: no limit.
    capacity = models.PositiveIntegerField(_("capacity"), default=20)
    state = models.CharField(_("state"), max_length=10, choices=AgentState.choices, default=AgentState.OFF)
    state_since = models.DateTimeField(null=True, blank=True)
    # Ties between agents with as many unanswered tickets go to the one idle longest:
    # the one given a ticket (or whose intake started) longest ago.
    idle_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The assignment pass reads the agents who are working.
            models.Index(fields=["state"], name="routing_profile_state"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=AgentState.values), name="routing_profile_state_valid"),
        ]

    def __str__(self) -> str:
        return f"routing of {self.agent}"


class IntervalKind(models.TextChoices):
    SHIFT = "shift", _("Work time")
    PAUSED = "paused", _("Invisible time")


class WorkInterval(models.Model):
    """A stretch of an agent's work time (timer started → stopped) or paused intake
    (paused → resumed). Open while `ended_at` is empty; reports sum them by period."""

    agent = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=IntervalKind.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Reports: an agent's intervals that overlap a period.
            models.Index(fields=["agent", "kind", "started_at"], name="routing_interval_agent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "kind"], condition=Q(ended_at__isnull=True), name="routing_interval_one_open"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="routing_interval_ordered",
            ),
        ]
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} of {self.agent_id} from {self.started_at}"


class Rule(models.TextChoices):
    ASSIGNED = "assigned", _("Fewest unanswered")
    REBALANCED = "rebalanced", _("Rebalanced to a faster agent")
    RETURNED = "returned", _("Returned to the queue")


class Assignment(models.Model):
    """One routing decision, with the rule and the figures it compared; never updated."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    previous = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule = models.CharField(max_length=20, choices=Rule.choices)
    # {"unanswered": {"<agent id>": n, …}, "capacity": n, "answers_per_hour": {…}, …}
    figures = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["ticket", "created_at"], name="routing_assignment_ticket")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.rule} #{self.ticket_id} → {self.agent_id}"
