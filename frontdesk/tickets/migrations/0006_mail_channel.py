"""The e-mail channel's fields: merges, follow-ups, stripped text, inline images' Content-IDs.

On SQLite, adding `Message.stripped_text` rebuilds tickets_message, which drops the
full-text triggers of 0002; they are created again at the end.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

text_search = importlib.import_module("frontdesk.tickets.migrations.0002_text_search")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0005_unassigned_count_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="content_id",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name="message",
            name="stripped_text",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="ticket",
            name="follow_up_of",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="tickets.ticket",
            ),
        ),
        migrations.AddField(
            model_name="ticket",
            name="merged_into",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="tickets.ticket",
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
                ],
                max_length=30,
            ),
        ),
        migrations.RunPython(text_search.recreate_sqlite_triggers, migrations.RunPython.noop),
    ]
