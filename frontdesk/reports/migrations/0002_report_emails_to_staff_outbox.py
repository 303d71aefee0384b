"""The weekly report's own outbox gives way to the staff e-mail outbox (decision 0013): rows not
sent yet move there, with the same recipient, content and key, so nothing waiting is lost."""

from django.db import migrations


def move_pending(apps, schema_editor):  # type: ignore[no-untyped-def]
    ReportEmail = apps.get_model("reports", "ReportEmail")
    StaffEmail = apps.get_model("notifications", "StaffEmail")
    StaffEmail.objects.bulk_create(
        [
            StaffEmail(
                recipient_id=row.recipient_id,
                to_address=row.to_address,
                subject=row.subject,
                body=row.body,
                attachment_name=row.csv_filename,
                attachment=row.csv,
                attachment_type="text/csv",
                key=f"weekly-report:{row.period_start.date().isoformat()}:{row.recipient_id}",
                status=row.status,
                attempts=row.attempts,
                next_attempt_at=row.next_attempt_at,
                last_error=row.last_error,
                created_at=row.created_at,
                sent_at=row.sent_at,
            )
            for row in ReportEmail.objects.all()
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(move_pending, migrations.RunPython.noop),
        migrations.DeleteModel(name="ReportEmail"),
    ]
