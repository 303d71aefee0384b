"""The throttle's per-contact row (`Recipient`): when each contact was last sent a survey, filled
from the invitations sent so far (contacts never surveyed get theirs with their first send)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Max


def fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Invitation = apps.get_model("surveys", "Invitation")
    Recipient = apps.get_model("surveys", "Recipient")
    last_sends = (
        Invitation.objects.using(schema_editor.connection.alias)
        .filter(sent_at__isnull=False)
        .values("contact_id")
        .annotate(last=Max("sent_at"))
        .order_by()
    )
    Recipient.objects.using(schema_editor.connection.alias).bulk_create(
        (Recipient(contact_id=row["contact_id"], last_sent_at=row["last"]) for row in last_sends.iterator()),
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_organisation_key_account_portal_shared"),
        ("surveys", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Recipient",
            fields=[
                (
                    "contact",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="accounts.contact",
                    ),
                ),
                ("last_sent_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
