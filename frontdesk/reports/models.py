from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from frontdesk.accounts.models import User


class ReportEmailStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class ReportEmail(models.Model):
    """The outbox of the weekly report: one e-mail per recipient and period, written whole when the
    week's report is made, sent (and retried) by a sweeper. Making the report twice sends it once."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    to_address = models.EmailField()
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    csv = models.TextField()  # the attachment: the report's table as CSV
    csv_filename = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=ReportEmailStatus.choices, default=ReportEmailStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "period_start"], name="report_email_once_per_period"),
            models.CheckConstraint(condition=Q(status__in=ReportEmailStatus.values), name="report_email_status_valid"),
        ]
        indexes = [
            # The sweeper: e-mails waiting to be sent, by when they are due.
            models.Index(fields=["next_attempt_at"], name="report_email_due", condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"report of {self.period_start:%Y-%m-%d} for {self.to_address} ({self.status})"
