"""Permission-scoped reads of the surveys app.

Supervisors and admins configure surveys and see every follow-up; agents read the survey
settings and see the follow-ups they own or that belong to their teams; light agents see
none. Customers reach their own invitation only, through its signed token.
"""

from datetime import datetime

from django.core import signing
from django.db.models import Q, QuerySet

from frontdesk.accounts.models import EDITOR_ROLES, MANAGER_ROLES, Contact, User
from frontdesk.accounts.selectors import require_agent
from frontdesk.core.errors import NotFound, PermissionDenied
from frontdesk.surveys.models import FollowUp, FollowUpStatus, Invitation, OptOut, Survey
from frontdesk.surveys.services import TOKEN_SALT


def require_survey_manager(user: object) -> User:
    agent = require_agent(user)
    if agent.role not in MANAGER_ROLES:
        raise PermissionDenied("Only supervisors and admins may change surveys.")
    return agent


def require_survey_reader(user: object) -> User:
    agent = require_agent(user)
    if agent.role not in EDITOR_ROLES:
        raise PermissionDenied("Your role may not see surveys.")
    return agent


def survey_list(*, user: User) -> QuerySet[Survey]:
    require_survey_reader(user)
    return Survey.objects.prefetch_related("questions", "organisations").select_related("followup_team")


def access_survey(user: User, survey_id: int) -> Survey:
    survey = survey_list(user=user).filter(pk=survey_id).first()
    if survey is None:
        raise NotFound(f"Survey {survey_id} does not exist.")
    return survey


def access_invitation(token: str) -> Invitation:
    """The invitation a customer's link names; a forged or mangled token is not found."""
    try:
        pk = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        raise NotFound("This survey link is not valid.") from None
    invitation = (
        Invitation.objects.select_related("survey", "contact", "ticket").filter(pk=pk).first()
        if isinstance(pk, int)
        else None
    )
    if invitation is None:
        raise NotFound("This survey link is not valid.")
    return invitation


def contact_opted_out(contact: Contact) -> bool:
    return OptOut.objects.filter(contact=contact).exists()


def invitation_list(*, user: User, survey_id: int | None = None, status: str = "") -> QuerySet[Invitation]:
    """Invitations, newest first: what was sent, throttled (and why), answered."""
    require_survey_manager(user)
    invitations = Invitation.objects.select_related("survey", "contact", "ticket")
    if survey_id is not None:
        invitations = invitations.filter(survey_id=survey_id)
    if status:
        invitations = invitations.filter(status=status)
    return invitations.order_by("-created_at", "-pk")


def follow_up_list(
    *, user: User, status: str = FollowUpStatus.OPEN, mine: bool = False, overdue_at: datetime | None = None
) -> QuerySet[FollowUp]:
    """Follow-ups the user may see, the ones due first; `overdue_at` keeps those due by then."""
    agent = require_survey_reader(user)
    follow_ups = FollowUp.objects.select_related(
        "owner", "team", "answer", "invitation__contact", "invitation__survey", "invitation__ticket"
    )
    if agent.role not in MANAGER_ROLES:
        follow_ups = follow_ups.filter(Q(owner=agent) | Q(team__in=agent.teams.all()))
    if mine:
        follow_ups = follow_ups.filter(owner=agent)
    if status:
        follow_ups = follow_ups.filter(status=status)
    if overdue_at is not None:
        follow_ups = follow_ups.filter(due_at__lte=overdue_at)
    return follow_ups.order_by("due_at", "pk") if status == FollowUpStatus.OPEN else follow_ups.order_by("-pk")


def access_follow_up(user: User, follow_up_id: int) -> FollowUp:
    follow_up = follow_up_list(user=user, status="").filter(pk=follow_up_id).first()
    if follow_up is None:
        raise NotFound(f"Follow-up {follow_up_id} does not exist.")
    return follow_up
