"""Signing in to the workspace."""

from django.contrib.auth.backends import ModelBackend

from frontdesk.accounts.models import User


class SessionBackend(ModelBackend):
    """Django's model backend, except that the signed-in agent is read with their routing
    profile, which every workspace page shows in the shift bar: one query, not two."""

    def get_user(self, user_id: int) -> User | None:
        user = User.objects.select_related("routing_profile").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
