"""Signing in to the workspace."""

from django.contrib.auth.backends import ModelBackend
from django.db.models.expressions import RawSQL

from frontdesk.accounts.models import User
from frontdesk.core.queries import Prepared

# How many of the user's notifications are unread (the partial index notification_unread).
# Written out: the ORM took longer to build the subquery, on every page, than the database
# takes to run the whole read.
_UNREAD = (
    "SELECT COUNT(*) FROM notifications_notification unread "
    'WHERE unread.recipient_id = "accounts_user"."id" AND unread.read_at IS NULL'
)


class SessionBackend(ModelBackend):
    """Django's model backend, except that the signed-in agent is read with what every workspace
    page shows in its header: their routing profile (the shift bar) and how many of their
    notifications are unread (the bell). One query, not three."""

    def get_user(self, user_id: int) -> User | None:
        user: User | None = _USER.first(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


# Every signed-in request reads it: built once per thread (core.queries). By primary key: at
# most one row, so no ORDER BY and LIMIT (what .first() would add).
_USER = Prepared(
    lambda user_id: (
        User.objects.select_related("routing_profile")
        .annotate(unread_notifications=RawSQL(_UNREAD, ()))  # noqa: S611  (constant SQL)
        .filter(pk=user_id)
    ),
    -1,
)
