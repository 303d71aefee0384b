"""Signing in to the workspace."""

from django.contrib.auth.backends import ModelBackend
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from frontdesk.accounts.models import User
from frontdesk.notifications.models import Notification


class SessionBackend(ModelBackend):
    """Django's model backend, except that the signed-in agent is read with what every workspace
    page shows in its header: their routing profile (the shift bar) and how many of their
    notifications are unread (the bell). One query, not three."""

    def get_user(self, user_id: int) -> User | None:
        unread = (
            Notification.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
            .order_by()
            .values("recipient")
            .annotate(count=Count("pk"))
            .values("count")
        )
        user = (
            User.objects.select_related("routing_profile")
            .annotate(unread_notifications=Coalesce(Subquery(unread), 0))
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None
