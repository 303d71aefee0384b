from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from frontdesk.accounts.models import Organisation, Team
from frontdesk.tickets.models import Priority, Ticket


class Calendar(models.Model):
    """When the clocks of a policy run: business hours per weekday in a time zone, minus holidays; or 24/7.

    `hours` maps a weekday ("0" Monday … "6" Sunday) to a list of ["HH:MM", "HH:MM"] pairs,
    local time; "24:00" closes at midnight. A weekday without pairs is closed."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    always_open = models.BooleanField(_("open 24/7"), default=False)
    hours = models.JSONField(_("business hours"), default=dict, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    """A day or an inclusive range of days on which the calendar is closed."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    name = models.CharField(_("name"), max_length=200)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    # The event's UID when imported from an iCalendar file: importing the file again updates it.
    uid = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["first_day"]
        constraints = [
            models.CheckConstraint(condition=Q(last_day__gte=models.F("first_day")), name="holiday_range_valid"),
            models.UniqueConstraint(
                fields=["calendar", "uid", "first_day"], name="holiday_uid_once", condition=~Q(uid="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.first_day}–{self.last_day})"


class Policy(models.Model):
    """Targets by priority, for the tickets that match its conditions (SL1).

    The first active policy in `position` order whose conditions all match applies; an empty
    condition matches any ticket. A contract on the ticket's organisation names its policy,
    which applies before any other. Conditions are lists: organisation ids, team ids,
    channels, priorities, tag names (a ticket matches with any one of its tags)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="policies")
    organisations = models.JSONField(_("organisations"), default=list, blank=True)
    teams = models.JSONField(_("teams"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # Warnings, as fractions of the target; the breach is always alarmed.
    warn_at = models.JSONField(_("warn at"), default=list, blank=True)
    # On breach:
    breach_raise_priority = models.BooleanField(_("raise the priority one step"), default=False)
    breach_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("move to team")
    )
    breach_notify_supervisors = models.BooleanField(_("notify supervisors"), default=False)
    # Alarms due before this instant are recorded but not announced: making or changing a policy
    # does not flood people with alarms about the past.
    active_since = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return self.name


class PolicyTarget(models.Model):
    """Minutes of business time for one priority; empty: no target for that metric."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response"), null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(_("next response"), null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(_("resolution"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["policy", "priority"], name="policy_target_once")]

    def __str__(self) -> str:
        return f"{self.policy} / {self.priority}"


class Contract(models.Model):
    """A customer's support contract: its policy applies to the organisation's tickets while it runs."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="contracts")
    name = models.CharField(_("name"), max_length=200)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="contracts")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        ordering = ["organisation", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")), name="contract_dates_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")


class Clock(models.Model):
    """One SLA clock of a ticket as last computed (see `deadlines`): one per metric and start."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_clocks")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    started_at = models.DateTimeField()
    policy = models.ForeignKey(Policy, null=True, on_delete=models.SET_NULL, related_name="+")
    target_minutes = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=ClockState.choices)
    stopped_at = models.DateTimeField(null=True, blank=True)
    elapsed_seconds = models.PositiveIntegerField(default=0)
    paused_seconds = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    # The next instant an alarm of this clock is due that has not fired yet; the sweep reads these.
    next_alarm_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric", "started_at"], name="sla_clock_once"),
            models.CheckConstraint(condition=Q(state__in=ClockState.values), name="sla_clock_state_valid"),
        ]
        indexes = [
            # The sweep: clocks with an alarm due, through the index alone (most clocks have none).
            models.Index(
                fields=["next_alarm_at"], name="sla_clock_alarm_due", condition=Q(next_alarm_at__isnull=False)
            ),
            # Attainment reports: clocks that ended (met or breached) in a period.
            # (Partial: a condition "stopped_at IS NULL" must not read it as an equality on its first column.)
            models.Index(
                fields=["stopped_at", "metric", "state"],
                name="sla_clock_stopped",
                condition=Q(stopped_at__isnull=False),
            ),
            # ... and those still running that breached in it.
            models.Index(fields=["due_at"], name="sla_clock_running_breached", condition=Q(stopped_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.metric} of #{self.ticket_id} ({self.state})"


class AlarmLevel(models.TextChoices):
    WARNING = "warning", _("Warning")
    BREACH = "breach", _("Breach")


class Alarm(models.Model):
    """An alarm that fired: at most one per clock and fraction (the unique constraint makes it so,
    whichever worker gets there first). `announced` is False for one recorded without notifying
    anyone (it was due before the policy applied, or a more severe one fired with it)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_alarms")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    clock_started_at = models.DateTimeField()
    permille = models.PositiveIntegerField()  # 750: 75 % of the target; 1000: the breach
    level = models.CharField(max_length=10, choices=AlarmLevel.choices)
    policy = models.ForeignKey(Policy, null=True, on_delete=models.SET_NULL, related_name="+")
    due_at = models.DateTimeField()
    fired_at = models.DateTimeField()
    announced = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "metric", "clock_started_at", "permille"], name="sla_alarm_fires_once"
            ),
        ]
        indexes = [models.Index(fields=["ticket", "fired_at"], name="sla_alarm_ticket")]
        ordering = ["fired_at", "pk"]

    def __str__(self) -> str:
        return f"{self.level} {self.permille / 10:g} % of {self.metric} on #{self.ticket_id}"
