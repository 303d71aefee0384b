"""Drop six single-column foreign-key indexes that a composite index already leads with (see the
fields' comments in models.py): every new ticket wrote them for nothing.

Only the indexes are dropped, by name (Django gives them the same name on SQLite and
PostgreSQL). An AlterField would make SQLite rebuild the tables, which loses the full-text
triggers of migration 0002 and copies every row.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (index, table, column), as Django named them in 0001.
INDEXES = [
    ("tickets_ticket_requester_id_2072a2f2", "tickets_ticket", "requester_id"),
    ("tickets_ticket_organisation_id_46625674", "tickets_ticket", "organisation_id"),
    ("tickets_ticket_team_id_5a4e7469", "tickets_ticket", "team_id"),
    ("tickets_ticket_assignee_id_3a5aa407", "tickets_ticket", "assignee_id"),
    ("tickets_message_ticket_id_a1134910", "tickets_message", "ticket_id"),
    ("tickets_ticketevent_ticket_id_b572d14b", "tickets_ticketevent", "ticket_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_organisation_key_account_portal_shared"),
        ("tickets", "0009_organisation_created_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")',
                )
                for name, table, column in INDEXES
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="message",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="tickets.ticket",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="assignee",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tickets",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="organisation",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="accounts.organisation",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="requester",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="tickets",
                        to="accounts.contact",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="team",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tickets",
                        to="accounts.team",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticketevent",
                    name="ticket",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="tickets.ticket",
                    ),
                ),
            ],
        )
    ]
