from django.db import models

from frontdesk.accounts.models import Contact


class MagicLink(models.Model):
    """A sign-in link e-mailed to a customer (CH5): only its SHA-256 is stored; it works once,
    for a short while."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    digest = models.CharField(max_length=64, unique=True)
    next_url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Rate limit: recent links per address.
        indexes = [models.Index(fields=["email", "created_at"], name="portal_magic_link_email")]

    def __str__(self) -> str:
        return f"magic link for {self.contact_id}"


class Deflection(models.Model):
    """A customer on the portal's ticket form was shown articles while typing (KB6): which one
    they opened, and whether they sent the ticket anyway. Not sent after opening one: deflected."""

    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    query = models.CharField(max_length=300)
    suggested = models.PositiveIntegerField(default=0)
    opened_translation_id = models.IntegerField(null=True, blank=True)
    ticket_id = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="portal_deflection_created")]

    def __str__(self) -> str:
        return f"deflection {self.pk}"
