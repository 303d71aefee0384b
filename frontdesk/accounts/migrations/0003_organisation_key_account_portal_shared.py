from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_mail_channel"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="key_account",
            field=models.BooleanField(default=False, verbose_name="key account"),
        ),
        migrations.AddField(
            model_name="organisation",
            name="portal_shared",
            field=models.BooleanField(default=False, verbose_name="members see each other's tickets in the portal"),
        ),
    ]
