"""Routing and productivity fields: who holds a ticket since when, whether they opened it,
since when the customer waits, the inquiry's outcome, and each reply's response time.

On SQLite, adding these fields rebuilds tickets_ticket and tickets_message, which drops
their full-text triggers; they are created again at the end (as in 0006). Tickets already
waiting get `awaiting_since` from their last customer message.
"""

import importlib

from django.conf import settings
from django.db import migrations, models

text_search = importlib.import_module("frontdesk.tickets.migrations.0002_text_search")


BACKFILL = (
    "UPDATE tickets_ticket SET awaiting_since = COALESCE(last_customer_message_at, created_at) "
    "WHERE awaiting_agent AND status NOT IN ('solved', 'closed')"
)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_mail_channel"),
        ("tickets", "0006_mail_channel"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="ticket",
            name="ticket_status_solved",
        ),
        migrations.AddField(
            model_name="message",
            name="booking_phase",
            field=models.CharField(
                blank=True, choices=[("before", "Before booking"), ("after", "After booking")], max_length=10
            ),
        ),
        migrations.AddField(
            model_name="message",
            name="first_response",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="message",
            name="response_seconds",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="ticket",
            name="assigned_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="ticket",
            name="assignee_opened_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="ticket",
            name="awaiting_since",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="ticket",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[("booked", "Booked"), ("not_booked", "Not booked")],
                max_length=20,
                verbose_name="outcome",
            ),
        ),
        migrations.AlterField(
            model_name="ticketevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "Created"),
                    ("changed", "Changed"),
                    ("replied", "Replied"),
                    ("note_added", "Added a note"),
                    ("customer_message", "Customer wrote"),
                    ("escalated_to_manager", "Escalated to a manager"),
                    ("escalation_resolved", "Escalation resolved"),
                    ("escalated_to_team", "Escalated to a team"),
                    ("requester_merged", "Requester merged"),
                    ("merged", "Merged"),
                    ("follow_up", "Follow-up ticket"),
                    ("reopened", "Reopened"),
                    ("delivery_failed", "Delivery failed"),
                    ("routed", "Assigned by routing"),
                ],
                max_length=30,
            ),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                condition=models.Q(("response_seconds__isnull", False)),
                fields=["created_at", "author_agent", "response_seconds", "first_response", "booking_phase"],
                name="message_responses",
            ),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                condition=models.Q(("response_seconds__isnull", False)),
                fields=["author_agent", "first_response", "booking_phase", "created_at", "response_seconds"],
                name="message_response_report",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(
                    ("assignee__isnull", True), ("awaiting_agent", True), ("status__in", ["new", "open"])
                ),
                fields=["awaiting_since", "id"],
                name="ticket_routing_queue",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["assignee", "assigned_at", "booking_stage", "outcome"], name="ticket_assignee_assigned"
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["status", "solved_at", "assignee"], name="ticket_status_solved"),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.RunSQL(
            "UPDATE tickets_ticket SET assigned_at = updated_at WHERE assignee_id IS NOT NULL", migrations.RunSQL.noop
        ),
        migrations.RunPython(text_search.recreate_sqlite_triggers, migrations.RunPython.noop),
    ]
