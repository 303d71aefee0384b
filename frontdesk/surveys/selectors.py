"""Permission-scoped reads of the surveys app.

Supervisors and admins configure surveys and see every follow-up; agents read the survey
settings and see the follow-ups they own or that belong to their teams; light agents see
none. Customers reach their own invitation only, through its signed token.
"""

from datetime import datetime

from django.core import signing
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from frontdesk.accounts.models import EDITOR_ROLES, MANAGER_ROLES, Contact, User
from frontdesk.accounts.selectors import require_agent
from frontdesk.core.errors import NotFound, PermissionDenied
from frontdesk.surveys import scores
from frontdesk.surveys.models import Answer, FollowUp, FollowUpStatus, Invitation, InvitationStatus, OptOut, Survey
from frontdesk.surveys.services import TOKEN_SALT, programme


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


def invitation_counts(*, user: User, surveys: list[Survey], since: datetime) -> dict[int, dict[str, int]]:
    """Invitations sent since then and how many of them were answered, by survey id (the
    invitation_dashboard index)."""
    require_survey_reader(user)
    rows = (
        Invitation.objects.filter(survey__in=surveys, sent_at__gte=since)
        .values("survey_id")
        .annotate(sent=Count("pk"), answered=Count("pk", filter=Q(status=InvitationStatus.ANSWERED)))
    )
    return {row["survey_id"]: {"sent": row["sent"], "answered": row["answered"]} for row in rows}


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


def published_csat(*, now: datetime) -> scores.PublicScore:
    """The public score (FB7), for anyone; not found unless the programme publishes it."""
    if not programme().public_score:
        raise NotFound(_("The score is not published."))
    return scores.public_csat(now=now)


def answers_in_order(invitation: Invitation) -> list[Answer]:
    """An invitation's answers as its survey asks the questions, each with its question, survey,
    contact and agent. The caller has checked that the user may see the invitation."""
    answers = invitation.answers.select_related("question", "survey", "contact", "agent")
    return list(answers.order_by("question__position", "question_id"))


def invitation_list(*, user: User, survey_id: int | None = None, status: str = "") -> QuerySet[Invitation]:
    """Invitations, newest first: what was sent, throttled (and why), answered."""
    require_survey_manager(user)
    invitations = Invitation.objects.select_related("survey", "contact", "ticket")
    if survey_id is not None:
        invitations = invitations.filter(survey_id=survey_id)
    if status:
        invitations = invitations.filter(status=status)
    return invitations.order_by("-created_at", "-pk")


def access_survey_invitation(user: User, invitation_id: int) -> Invitation:
    """An invitation with its follow-up, for supervisors and admins."""
    invitation = invitation_list(user=user).select_related("follow_up").filter(pk=invitation_id).first()
    if invitation is None:
        raise NotFound(_("Invitation %(id)s does not exist.") % {"id": invitation_id})
    return invitation


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
