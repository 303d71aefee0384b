"""Every write of the surveys app: scheduling, sending (throttled), answering, the closed loop.

A survey reaches a contact as an Invitation. Transactional surveys are scheduled by ticket
events (solved, chat ended, call logged) or through the API (a milestone); relationship
surveys by their rounds. The sweep sends what is due, reminds, runs rounds and escalates
overdue follow-ups.

The throttle (FB3) holds across every survey and every worker: sending locks the contact's
`Recipient` row (made with their first send), which holds when they were last sent a survey.
A send at or after that instant — the usual case — is held back when the last send is less than
N days before it, decided from the row without a query; a send at an earlier instant (an event
handled late) asks whether any invitation to the contact was sent less than N days before or
after it (one probe of the (contact, sent_at) index). When one was, the invitation is recorded
as throttled and nothing leaves; otherwise it is marked sent, the row takes its instant, and its
e-mail goes to the mail outbox in the same transaction. Two workers sending to one contact queue
on the lock, and the second sees the first's send. The row remembers a send even if its
invitation is deleted later (its survey deleted): the customer had the e-mail.

An answer that falls at or below its question's alert threshold opens a follow-up at once
(FB4), owned by the ticket's team lead, else the account owner, else the survey's business
unit lead, due in the survey's days, announced to the owner.
"""

import logging
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Window
from django.db.models.functions import RowNumber
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrPromise

from frontdesk.accounts.models import (
    EDITOR_ROLES,
    MANAGER_ROLES,
    Contact,
    ContactIdentity,
    IdentityKind,
    Organisation,
    Role,
    Team,
    User,
)
from frontdesk.accounts.services import organisation_update
from frontdesk.core.errors import Conflict, ValidationError
from frontdesk.core.services import UNSET, Unset, require_role
from frontdesk.mail.models import OutboundKind
from frontdesk.mail.services import outbound_queue_email
from frontdesk.notifications.models import StaffEmail
from frontdesk.notifications.services import notify, staff_email_queue, webhooks_queue
from frontdesk.surveys.models import (
    SCALES,
    Answer,
    FollowUp,
    FollowUpLevel,
    FollowUpStatus,
    Invitation,
    InvitationStatus,
    OptOut,
    Programme,
    Question,
    QuestionKind,
    Recipient,
    Survey,
    SurveyKind,
    Topic,
    Trigger,
)
from frontdesk.tickets.events import TicketChanged, TicketCreated
from frontdesk.tickets.models import Channel, Status, Ticket

logger = logging.getLogger(__name__)

TOKEN_SALT = "frontdesk.surveys.invitation"  # noqa: S105 (a namespace, not a secret)
ANSWER_WINDOW = timedelta(days=60)  # how long after sending an invitation's links work
SWEEP_BATCH = 200
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)

# The built-in wording of each question, by topic first, then by kind (translated).
DEFAULT_TEXTS: dict[str, StrPromise] = {
    Topic.SOLVED: gettext_lazy("Did we solve your problem?"),
    Topic.HELP_CENTRE: gettext_lazy("Was the help-centre article useful?"),
    Topic.SALES_SUPPORT: gettext_lazy("How satisfied are you with our sales support?"),
    Topic.PERFORMANCE: gettext_lazy("How satisfied are you with the performance of our service?"),
    Topic.RESPONSE_TIME: gettext_lazy("How satisfied are you with our response times?"),
    Topic.REPRESENTATIVE: gettext_lazy("How satisfied are you with your representative?"),
    Topic.EASE: gettext_lazy("How easy is it to do business with us?"),
    Topic.OVERALL: gettext_lazy("Overall, how satisfied are you with us?"),
    QuestionKind.CSAT: gettext_lazy("How satisfied are you with the help you received?"),
    QuestionKind.CES: gettext_lazy("How easy was it to get your problem solved?"),
    QuestionKind.NPS: gettext_lazy("How likely are you to recommend us to a friend or colleague?"),
    QuestionKind.YES_NO: gettext_lazy("Did we solve your problem?"),
    QuestionKind.COMMENT: gettext_lazy("Is there anything else you would like to tell us?"),
}
# Thresholds a new question gets unless told otherwise: (dissatisfied at or below, merely satisfied at or below).
DEFAULT_THRESHOLDS: dict[str, tuple[int | None, int | None]] = {
    QuestionKind.CSAT: (2, 4),
    QuestionKind.CES: (3, 5),
    QuestionKind.NPS: (6, 8),
    QuestionKind.YES_NO: (0, None),
}


# --- wording -------------------------------------------------------------------------


def language_for(contact: Contact, ticket: Ticket | None = None) -> str:
    """The contact's language, else the ticket's, else the site's: one we translate into."""
    for candidate in (contact.language, ticket.language if ticket else "", settings.LANGUAGE_CODE):
        code = (candidate or "").split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return "en"


def question_text(question: Question, language: str) -> str:
    custom = question.text.get(language) or ""
    if custom:
        return custom
    with translation.override(language):
        default = DEFAULT_TEXTS.get(question.topic) or DEFAULT_TEXTS.get(question.kind)
        return str(default) if default else question.text.get("en", "")


def question_choices(question: Question, language: str) -> list[str]:
    return list(question.choices.get(language) or question.choices.get("en") or [])


def scale(question: Question) -> range:
    if question.kind == QuestionKind.CHOICE:
        return range(len(question_choices(question, "en")))
    return SCALES.get(question.kind, range(0))


# --- tokens ----------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    """What the customer's links carry: the invitation's id, signed (no sign-in needed, not guessable)."""
    return signing.dumps(invitation.pk, salt=TOKEN_SALT, compress=False)


def invitation_url(invitation: Invitation, suffix: str = "") -> str:
    return f"{settings.BASE_URL}/s/{invitation_token(invitation)}/{suffix}"


# --- the programme ---------------------------------------------------------------------


def programme() -> Programme:
    return Programme.objects.get_or_create(pk=1)[0]


def programme_update(
    *,
    actor: User,
    now: datetime,
    throttle_days: int | Unset = UNSET,
    public_score: bool | Unset = UNSET,
) -> Programme:
    require_role(actor, MANAGER_ROLES, "change the survey programme")
    current = programme()
    if not isinstance(throttle_days, Unset):
        if not 0 <= throttle_days <= 365:
            raise ValidationError(_("Days between surveys must be between 0 and 365."), field="throttle_days")
        current.throttle_days = throttle_days
    if not isinstance(public_score, Unset):
        current.public_score = public_score
    current.updated_at = now
    current.save()
    return current


# --- configuration ---------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionInput:
    kind: str
    topic: str = ""
    text: dict[str, str] | None = None
    choices: dict[str, list[str]] | None = None
    alert_at_most: int | Unset | None = UNSET
    satisfied_at_most: int | Unset | None = UNSET


def _check_question(position: int, q: QuestionInput) -> Question:
    field = f"questions.{position}"
    if q.kind not in QuestionKind.values:
        raise ValidationError(_("Unknown question kind: %(kind)s.") % {"kind": q.kind}, field=field)
    if q.topic and q.topic not in Topic.values:
        raise ValidationError(_("Unknown topic: %(topic)s.") % {"topic": q.topic}, field=field)
    texts = {k: v.strip() for k, v in (q.text or {}).items() if v and v.strip()}
    if any(k not in LANGUAGES for k in texts):
        raise ValidationError(_("Texts may be in: %(languages)s.") % {"languages": ", ".join(LANGUAGES)}, field=field)
    choices = {k: [c.strip() for c in v if c.strip()] for k, v in (q.choices or {}).items()}
    if q.kind == QuestionKind.CHOICE and len(choices.get("en", [])) < 2:
        raise ValidationError(_("A choice question needs at least two options in English."), field=field)
    if q.kind == QuestionKind.CHOICE and not texts.get("en"):
        raise ValidationError(_("A choice question needs its text in English."), field=field)
    alert, satisfied = DEFAULT_THRESHOLDS.get(q.kind, (None, None))
    question = Question(
        position=position,
        kind=q.kind,
        topic=q.topic,
        text=texts,
        choices=choices if q.kind == QuestionKind.CHOICE else {},
        alert_at_most=alert if isinstance(q.alert_at_most, Unset) else q.alert_at_most,
        satisfied_at_most=satisfied if isinstance(q.satisfied_at_most, Unset) else q.satisfied_at_most,
    )
    values = scale(question)
    for limit in (question.alert_at_most, question.satisfied_at_most):
        if limit is not None and values and not values.start <= limit < values.stop:
            raise ValidationError(_("A threshold is outside the question's scale."), field=field)
    return question


def survey_save(
    *,
    actor: User,
    now: datetime,
    survey: Survey | None = None,
    name: str,
    kind: str = SurveyKind.TRANSACTIONAL,
    is_active: bool = True,
    intro: dict[str, str] | None = None,
    trigger: str = "",
    channels: list[str] | None = None,
    delay_minutes: int = 24 * 60,
    organisations: list[Organisation] | None = None,
    every_months: int = 3,
    contacts_per_organisation: int = 5,
    next_round_at: datetime | None = None,
    reminder_after_hours: int = 72,
    reminders: int = 1,
    followup_team: Team | None = None,
    followup_days: int = 2,
    satisfied_followup: bool = True,
    satisfied_followup_days: int = 14,
    questions: list[QuestionInput],
) -> Survey:
    """Create a survey, or replace one's settings and questions (answers keep their question
    while its kind stays; a question whose kind changed is a new question)."""
    require_role(actor, MANAGER_ROLES, "change surveys")
    name = name.strip()
    if not name:
        raise ValidationError(_("A survey needs a name."), field="name")
    if Survey.objects.filter(name__iexact=name).exclude(pk=survey.pk if survey else 0).exists():
        raise Conflict(_("Another survey is called %(name)s.") % {"name": name}, field="name")
    if kind not in SurveyKind.values:
        raise ValidationError(_("Unknown survey kind."), field="kind")
    if kind == SurveyKind.TRANSACTIONAL and trigger not in Trigger.values:
        raise ValidationError(_("A transactional survey needs a trigger."), field="trigger")
    if kind == SurveyKind.RELATIONSHIP:
        trigger = ""
        if not organisations:
            raise ValidationError(_("A relationship survey needs at least one organisation."), field="organisations")
        if not 1 <= every_months <= 24:
            raise ValidationError(_("Rounds run every 1 to 24 months."), field="every_months")
        if not 1 <= contacts_per_organisation <= 100:
            raise ValidationError(_("Between 1 and 100 contacts per organisation."), field="contacts_per_organisation")
    if any(c not in Channel.values for c in channels or []):
        raise ValidationError(_("Unknown channel."), field="channels")
    if not 0 <= delay_minutes <= 60 * 24 * 30:
        raise ValidationError(_("The delay is at most 30 days."), field="delay_minutes")
    if not 0 <= reminders <= 3 or not 1 <= reminder_after_hours <= 24 * 30:
        raise ValidationError(_("Up to 3 reminders, 1 hour to 30 days apart."), field="reminders")
    if not 1 <= followup_days <= 90 or not 1 <= satisfied_followup_days <= 180:
        raise ValidationError(
            _("Follow-ups are due within 1 to 90 days (180 when merely satisfied)."), field="followup_days"
        )
    if not questions:
        raise ValidationError(_("A survey needs at least one question."), field="questions")
    if len(questions) > 20:
        raise ValidationError(_("A survey has at most 20 questions."), field="questions")
    checked = [_check_question(position, q) for position, q in enumerate(questions)]
    with transaction.atomic():
        if survey is None:
            survey = Survey(created_at=now)
        survey.name = name
        survey.kind = kind
        survey.is_active = is_active
        survey.intro = {k: v.strip() for k, v in (intro or {}).items() if k in LANGUAGES and v.strip()}
        survey.trigger = trigger
        survey.channels = sorted(set(channels or []))
        survey.delay_minutes = delay_minutes
        survey.every_months = every_months
        survey.contacts_per_organisation = contacts_per_organisation
        survey.next_round_at = (next_round_at or now) if kind == SurveyKind.RELATIONSHIP else None
        survey.reminder_after_hours = reminder_after_hours
        survey.reminders = reminders
        survey.followup_team = followup_team
        survey.followup_days = followup_days
        survey.satisfied_followup = satisfied_followup
        survey.satisfied_followup_days = satisfied_followup_days
        survey.updated_at = now
        survey.save()
        survey.organisations.set(organisations or [] if kind == SurveyKind.RELATIONSHIP else [])
        existing = list(survey.questions.all())
        for question, position in zip(existing, range(len(checked)), strict=False):
            if question.kind == checked[position].kind:
                checked[position].pk = question.pk
        keep = {q.pk for q in checked if q.pk}
        survey.questions.exclude(pk__in=keep).delete()
        for question in checked:
            question.survey = survey
            question.save()
    return survey


def key_accounts_update(*, changes: list[tuple[Organisation, bool]], actor: User) -> int:
    """Mark and unmark key accounts ((organisation, key account) pairs): all or none. Returns how many changed."""
    require_role(actor, MANAGER_ROLES, "change key accounts")
    with transaction.atomic():
        for organisation, key_account in changes:
            organisation_update(organisation=organisation, actor=actor, key_account=key_account)
    return len(changes)


def survey_delete(*, survey: Survey, actor: User) -> None:
    """Delete a survey that no one has answered; one with answers can only be deactivated."""
    require_role(actor, MANAGER_ROLES, "delete surveys")
    if Answer.objects.filter(survey=survey).exists():
        raise Conflict(_("This survey has answers: deactivate it instead."))
    survey.delete()


# --- scheduling ------------------------------------------------------------------------


def _triggers(ticket: Ticket, event: str) -> list[str]:
    if event == "created":
        return [Trigger.CALL_LOGGED] if ticket.channel == Channel.PHONE else []
    triggers: list[str] = [Trigger.TICKET_SOLVED]
    if ticket.channel == Channel.CHAT:
        triggers.append(Trigger.CHAT_ENDED)
    return triggers


def schedule_on_change(event: TicketChanged) -> None:
    """Handler: a solved ticket schedules the surveys whose trigger it fires."""
    if "status" in event.fields:
        _schedule_for_ticket(event.ticket_id, "solved")


def schedule_on_create(event: TicketCreated) -> None:
    """Handler: a logged call (a phone ticket) schedules the "call logged" surveys."""
    if event.channel in ("", Channel.PHONE):  # no other channel's creation triggers a survey
        _schedule_for_ticket(event.ticket_id, "created")


def _schedule_for_ticket(ticket_id: int, event: str) -> None:
    surveys = list(Survey.objects.filter(is_active=True, kind=SurveyKind.TRANSACTIONAL))
    if not surveys:
        return
    ticket = Ticket.objects.select_related("requester", "organisation", "assignee").filter(pk=ticket_id).first()
    if ticket is None or ticket.merged_into_id is not None:
        return
    if event == "solved" and ticket.status != Status.SOLVED:
        return
    triggers = _triggers(ticket, event)
    now = ticket.solved_at if event == "solved" and ticket.solved_at else ticket.created_at
    for survey in surveys:
        if survey.trigger in triggers and (not survey.channels or ticket.channel in survey.channels):
            invitation_schedule(survey=survey, contact=ticket.requester, ticket=ticket, now=now)


def _dimensions(contact: Contact, ticket: Ticket | None) -> dict[str, object]:
    organisation = ticket.organisation if ticket and ticket.organisation_id else contact.organisation
    return {
        "agent_id": ticket.assignee_id if ticket else None,
        "team_id": ticket.team_id if ticket else None,
        "organisation": organisation,
        "channel": ticket.channel if ticket else "",
        "region": organisation.region if organisation else "",
        "product": str((ticket.custom_fields or {}).get("product", ""))[:100] if ticket else "",
        "booking_stage": ticket.booking_stage if ticket else "",
    }


def invitation_schedule(
    *, survey: Survey, contact: Contact, now: datetime, ticket: Ticket | None = None, occasion: str = ""
) -> Invitation | None:
    """Schedule the survey for the contact (after the survey's delay for a ticket's event, at
    once otherwise). Once per ticket or occasion: a second call returns None."""
    while contact.merged_into_id is not None:
        contact = Contact.objects.get(pk=contact.merged_into_id)
    send_at = now + timedelta(minutes=survey.delay_minutes) if ticket is not None else now
    try:
        with transaction.atomic():
            return Invitation.objects.create(
                survey=survey,
                contact=contact,
                ticket=ticket,
                occasion=occasion[:100],
                language=language_for(contact, ticket),
                send_at=send_at,
                created_at=now,
                **_dimensions(contact, ticket),
            )
    except IntegrityError:
        return None


def invitation_send_milestone(
    *, survey: Survey, contact: Contact, occasion: str, actor: User, now: datetime
) -> Invitation:
    """An event outside the helpdesk (an implementation milestone) sends a survey now, through the API."""
    require_role(actor, MANAGER_ROLES, "send surveys")
    if survey.kind != SurveyKind.TRANSACTIONAL or survey.trigger != Trigger.MILESTONE:
        raise ValidationError(_("Only a survey triggered by milestones can be sent this way."), field="survey")
    if not survey.is_active:
        raise Conflict(_("The survey is not active."), field="survey")
    occasion = occasion.strip()
    if not occasion:
        raise ValidationError(_("Name the milestone."), field="occasion")
    invitation = invitation_schedule(survey=survey, contact=contact, occasion=occasion, now=now)
    if invitation is None:
        raise Conflict(_("This contact already has this survey for this milestone."), field="occasion")
    return invitation


# --- sending ---------------------------------------------------------------------------


def _email_address(contact_id: int) -> str:
    identity = (
        ContactIdentity.objects.filter(contact_id=contact_id, kind=IdentityKind.EMAIL, failing_since__isnull=True)
        .order_by("-is_primary", "pk")
        .values_list("value", flat=True)
        .first()
    )
    return identity or ""


def surveyed_within(*, contact_id: int, now: datetime, days: int) -> datetime | None:
    """When the contact was sent a survey less than `days` days before or after `now` (None: never),
    asked of their invitations: one probe of the (contact, sent_at) index. The send asks it only when
    its instant is before the contact's last send (`throttled_by`). (An invitation being sent has no
    `sent_at` yet: it never finds itself.)"""
    if days <= 0:
        return None
    window = timedelta(days=days)
    return (
        Invitation.objects.filter(contact_id=contact_id, sent_at__gt=now - window, sent_at__lt=now + window)
        .order_by("sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )


def _last_send(contact_id: int) -> datetime | None:
    """When the contact was last sent a survey, asked of their invitations (a Recipient row being made)."""
    return (
        Invitation.objects.filter(contact_id=contact_id, sent_at__isnull=False)
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )


def recipient_lock(*, contact_id: int) -> Recipient:
    """The contact's throttle row, locked until the transaction ends: every send to the contact takes
    it first, so sends to one contact queue and each sees the ones before. Made with the contact's
    first send, from their invitations sent so far (two first sends at once: one makes it, the other
    waits on the unique key, then reads and locks it)."""
    locked = Recipient.objects.select_for_update()
    recipient = locked.filter(contact_id=contact_id).first()
    if recipient is None:
        try:
            with transaction.atomic():
                recipient = Recipient.objects.create(contact_id=contact_id, last_sent_at=_last_send(contact_id))
        except IntegrityError:  # another send made it first: this one waited for it, and locks it now
            recipient = locked.get(contact_id=contact_id)
    return recipient


def throttled_by(recipient: Recipient, *, now: datetime, days: int) -> datetime | None:
    """The send that holds back one at `now` (a send to the contact less than `days` days before or
    after it), or None. When `now` is at or after the contact's last send — the usual case — every
    send lies before it and the last is the nearest: the locked row decides, with no query. An
    earlier `now` (an event handled late) asks the invitations (`surveyed_within`)."""
    if days <= 0:
        return None
    last = recipient.last_sent_at
    if last is None:
        return None
    if now >= last:
        return last if now - last < timedelta(days=days) else None
    return surveyed_within(contact_id=recipient.contact_id, now=now, days=days)


def invitation_send(*, invitation_id: int, now: datetime, throttle_days: int | None = None) -> Invitation:
    """Send a scheduled invitation, unless the contact opted out, was surveyed within the
    programme's days, or has no address; each outcome is recorded. Idempotent. A batch reads the
    programme's `throttle_days` once and passes it; None reads it here."""
    if throttle_days is None:
        throttle_days = programme().throttle_days
    with transaction.atomic():
        invitation = Invitation.objects.select_related("survey").get(pk=invitation_id)
        if invitation.status != InvitationStatus.SCHEDULED:
            return invitation
        # Serialise every send to this contact (the throttle's guarantee).
        recipient = recipient_lock(contact_id=invitation.contact_id)
        invitation = Invitation.objects.select_related("survey", "ticket").get(pk=invitation_id)
        if invitation.status != InvitationStatus.SCHEDULED:
            return invitation
        earlier = throttled_by(recipient, now=now, days=throttle_days)
        address = _email_address(invitation.contact_id)
        if OptOut.objects.filter(contact_id=invitation.contact_id).exists():
            invitation.status, invitation.reason = InvitationStatus.OPTED_OUT, _("The contact opted out of surveys.")
        elif not invitation.survey.is_active:
            invitation.status, invitation.reason = InvitationStatus.CANCELLED, _("The survey was deactivated.")
        elif earlier is not None:
            invitation.status = InvitationStatus.THROTTLED
            invitation.reason = _("Surveyed on %(date)s, within %(days)s days.") % {
                "date": timezone.localtime(earlier).date().isoformat(),
                "days": throttle_days,
            }
        elif not address or _queue_invitation_email(invitation, address, now, reminder=False) is None:
            invitation.status = InvitationStatus.UNDELIVERABLE
            invitation.reason = (
                _("No e-mail address, or no mailbox that can send.")
                if address
                else _("The contact has no working e-mail address.")
            )
        else:
            invitation.status = InvitationStatus.SENT
            invitation.sent_at = now
            invitation.to_address = address
            if invitation.survey.reminders and invitation.survey.reminder_after_hours:
                invitation.next_reminder_at = now + timedelta(hours=invitation.survey.reminder_after_hours)
            if recipient.last_sent_at is None or now > recipient.last_sent_at:
                Recipient.objects.filter(pk=recipient.pk).update(last_sent_at=now)
        invitation.save(update_fields=["status", "reason", "sent_at", "to_address", "next_reminder_at"])
    return invitation


def _first_scored(questions: list[Question]) -> Question | None:
    return next((q for q in questions if q.kind in SCALES), None)


def _queue_invitation_email(invitation: Invitation, address: str, now: datetime, *, reminder: bool) -> object:
    survey = invitation.survey
    questions = list(survey.questions.all())
    first = _first_scored(questions)
    language = invitation.language or "en"
    with translation.override(language):
        links = []
        if first is not None:
            for value in scale(first):
                label = (_("Yes") if value else _("No")) if first.kind == QuestionKind.YES_NO else str(value)
                links.append((label, invitation_url(invitation, f"{first.pk}/{value}/")))
        context = {
            "survey": survey,
            "intro": survey.intro.get(language, ""),
            "question": question_text(first, language) if first else "",
            "kind": first.kind if first else "",
            "links": links,
            "page_url": invitation_url(invitation),
            "opt_out_url": invitation_url(invitation, "opt-out/"),
            "ticket": invitation.ticket,
            "reminder": reminder,
        }
        text = render_to_string("surveys/invitation.txt", context)
        html = render_to_string("surveys/invitation.html", context)
        subject = (
            _("How did we do with your request #%(number)s?") % {"number": invitation.ticket_id}
            if invitation.ticket_id
            else _("How are we doing? A few questions from our team")
        )
        if reminder:
            subject = _("Reminder: %(subject)s") % {"subject": subject}
    return outbound_queue_email(
        to=address,
        subject=subject,
        text=text,
        html=html,
        kind=OutboundKind.SURVEY,
        ticket=invitation.ticket,
        now=now,
        headers={
            "List-Unsubscribe": f"<{invitation_url(invitation, 'opt-out/')}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def invitations_send_due(*, now: datetime, limit: int = SWEEP_BATCH) -> int:
    """Send the invitations that are due. Returns how many were handled."""
    due = list(
        Invitation.objects.filter(status=InvitationStatus.SCHEDULED, send_at__lte=now)
        .order_by("send_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not due:
        return 0
    throttle_days = programme().throttle_days  # once per batch, not per send
    for pk in due:
        invitation_send(invitation_id=pk, now=now, throttle_days=throttle_days)
    return len(due)


def reminders_send_due(*, now: datetime, limit: int = SWEEP_BATCH) -> int:
    """Remind those who have not answered; an opted-out contact gets none."""
    due = list(
        Invitation.objects.filter(status=InvitationStatus.SENT, next_reminder_at__lte=now)
        .order_by("next_reminder_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        with transaction.atomic():
            invitation = (
                Invitation.objects.select_for_update(of=("self",))
                .select_related("survey", "ticket")
                .filter(pk=pk, status=InvitationStatus.SENT, next_reminder_at__lte=now)
                .first()
            )
            if invitation is None:
                continue
            invitation.reminders_sent += 1
            more = invitation.reminders_sent < invitation.survey.reminders
            invitation.next_reminder_at = (
                now + timedelta(hours=invitation.survey.reminder_after_hours) if more else None
            )
            if not OptOut.objects.filter(contact_id=invitation.contact_id).exists() and invitation.survey.is_active:
                _queue_invitation_email(invitation, invitation.to_address, now, reminder=True)
            else:
                invitation.next_reminder_at = None
            invitation.save(update_fields=["reminders_sent", "next_reminder_at"])
    return len(due)


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


def _round_contacts(survey: Survey) -> list[Contact]:
    """Up to the survey's number of contacts of each of its organisations, those with an e-mail
    address, the newest first: one query, each contact with its organisation."""
    newest_first = Window(
        RowNumber(), partition_by=F("organisation_id"), order_by=(F("created_at").desc(), F("pk").desc())
    )
    return list(
        Contact.objects.filter(organisation__in=survey.organisations.all(), merged_into__isnull=True)
        .filter(Exists(ContactIdentity.objects.filter(contact=OuterRef("pk"), kind=IdentityKind.EMAIL)))
        .annotate(rank=newest_first)
        .filter(rank__lte=survey.contacts_per_organisation)
        .select_related("organisation")
        .order_by("organisation_id", "rank")
    )


def relationship_rounds_run(*, now: datetime) -> int:
    """Start the relationship rounds that are due: up to N contacts of each chosen organisation
    (those who wrote most recently first). Returns how many invitations were scheduled."""
    scheduled = 0
    due = Survey.objects.filter(kind=SurveyKind.RELATIONSHIP, is_active=True, next_round_at__lte=now)
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            survey = Survey.objects.select_for_update().get(pk=pk)
            if survey.next_round_at is None or survey.next_round_at > now:
                continue
            occasion = f"round {survey.next_round_at.date().isoformat()}"
            for contact in _round_contacts(survey):
                if invitation_schedule(survey=survey, contact=contact, occasion=occasion, now=now):
                    scheduled += 1
            following = survey.next_round_at
            while following <= now:
                following = _add_months(following, survey.every_months)
            survey.next_round_at = following
            survey.save(update_fields=["next_round_at"])
    return scheduled


# --- answering -------------------------------------------------------------------------


def contact_opt_out(*, contact: Contact, actor: User | None, now: datetime) -> OptOut:
    """The contact wants no more surveys (they said so on a survey page, `actor` None, or told an
    agent): pending invitations are withdrawn, reminders stop."""
    require_role(actor, EDITOR_ROLES, "change a contact's survey preference")
    with transaction.atomic():
        opt_out, _created = OptOut.objects.get_or_create(contact=contact, defaults={"created_at": now})
        Invitation.objects.filter(contact=contact, status=InvitationStatus.SCHEDULED).update(
            status=InvitationStatus.OPTED_OUT, reason=_("The contact opted out of surveys.")
        )
        Invitation.objects.filter(contact=contact, status=InvitationStatus.SENT).update(next_reminder_at=None)
    return opt_out


def contact_opt_in(*, contact: Contact, actor: User | None) -> None:
    """Surveys again (the contact pressed "undo" on the page, `actor` None, or asked an agent)."""
    require_role(actor, EDITOR_ROLES, "change a contact's survey preference")
    OptOut.objects.filter(contact=contact).delete()


def _check_score(question: Question, score: int | None) -> int | None:
    if question.kind == QuestionKind.COMMENT:
        return None
    if score is None or score not in scale(question):
        values = scale(question)
        raise ValidationError(
            _("An answer to this question is a number from %(low)s to %(high)s.")
            % {"low": values.start, "high": values.stop - 1},
            field=f"question_{question.pk}",
        )
    return score


def closed_reason(invitation: Invitation, now: datetime) -> str:
    """Why the invitation takes no answers, or "" when it does."""
    if invitation.status not in (InvitationStatus.SENT, InvitationStatus.ANSWERED):
        return _("This survey is not open for answers.")
    if invitation.sent_at and now > invitation.sent_at + ANSWER_WINDOW:
        return _("This survey has closed; thank you all the same.")
    return ""


def answers_record(
    *, invitation: Invitation, answers: dict[int, tuple[int | None, str]], now: datetime
) -> list[Answer]:
    """Record the customer's answers ({question id: (score, comment)}); an answer given again
    replaces the earlier one. All or nothing: a bad value changes nothing. A dissatisfied answer
    opens a follow-up in the same transaction."""
    closed = closed_reason(invitation, now)
    if closed:
        raise Conflict(closed)
    questions = {q.pk: q for q in invitation.survey.questions.all()}
    checked: list[tuple[Question, int | None, str]] = []
    for question_id, (score, comment) in answers.items():
        question = questions.get(question_id)
        if question is None:
            raise ValidationError(_("This question is not part of the survey."), field=f"question_{question_id}")
        comment = (comment or "").strip()[:5000]
        if question.kind == QuestionKind.COMMENT and not comment:
            continue
        checked.append((question, _check_score(question, score), comment))
    from frontdesk.surveys import text  # its word lists load with the first answer, not at start-up

    rows = []
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("survey", "organisation")
            .get(pk=invitation.pk)
        )
        for question, score, comment in checked:
            analysis = text.analyse(comment, hint=invitation.language) if comment else None
            answer, _created = Answer.objects.update_or_create(
                invitation=invitation,
                question=question,
                defaults={
                    "survey_id": invitation.survey_id,
                    "kind": question.kind,
                    "topic": question.topic,
                    "score": score,
                    "comment": comment,
                    "answered_at": now,
                    "contact_id": invitation.contact_id,
                    "agent_id": invitation.agent_id,
                    "team_id": invitation.team_id,
                    "organisation_id": invitation.organisation_id,
                    "channel": invitation.channel,
                    "region": invitation.region,
                    "product": invitation.product,
                    "booking_stage": invitation.booking_stage,
                    "language": analysis.language if analysis else "",
                    "sentiment": analysis.sentiment if analysis else None,
                    "sentiment_label": analysis.sentiment_label if analysis else "",
                    "themes": list(analysis.themes) if analysis else [],
                    "is_idea": analysis.is_idea if analysis else False,
                },
            )
            rows.append(answer)
            level = _level(question, score, invitation.organisation)
            if level is not None:
                _follow_up(invitation, answer, level, now)
        if rows and invitation.status != InvitationStatus.ANSWERED:
            invitation.status = InvitationStatus.ANSWERED
            invitation.answered_at = now
            invitation.next_reminder_at = None
            invitation.save(update_fields=["status", "answered_at", "next_reminder_at"])
    return rows


# --- the closed loop -------------------------------------------------------------------


def _level(question: Question, score: int | None, organisation: Organisation | None) -> str | None:
    if score is None:
        return None
    if question.alert_at_most is not None and score <= question.alert_at_most:
        return FollowUpLevel.DISSATISFIED
    key = organisation is not None and organisation.key_account
    if key and question.satisfied_at_most is not None and score <= question.satisfied_at_most:
        return FollowUpLevel.SATISFIED
    return None


def _responsible(invitation: Invitation) -> tuple[Team | None, User | None]:
    """The ticket's team and its lead; else the account owner (and their team); else the survey's
    business unit; else the ticket's team without an owner."""
    team = Team.objects.select_related("lead").get(pk=invitation.team_id) if invitation.team_id else None
    if team is not None and team.lead is not None and team.lead.is_active:
        return team, team.lead
    organisation = invitation.organisation
    if organisation is not None and organisation.owner_id:
        owner = User.objects.get(pk=organisation.owner_id)
        if owner.is_active:
            return owner.teams.order_by("pk").first(), owner
    unit = invitation.survey.followup_team
    if unit is not None:
        return unit, unit.lead if unit.lead and unit.lead.is_active else None
    return team, None


def _supervisors() -> list[User]:
    return list(User.objects.filter(is_active=True, role__in=[Role.SUPERVISOR, Role.ADMIN]))


def _follow_up(invitation: Invitation, answer: Answer, level: str, now: datetime) -> FollowUp | None:
    survey = invitation.survey
    days = survey.followup_days if level == FollowUpLevel.DISSATISFIED else survey.satisfied_followup_days
    if level == FollowUpLevel.SATISFIED and not survey.satisfied_followup:
        return None
    existing = FollowUp.objects.filter(invitation=invitation).first()
    if existing is not None:
        # A dissatisfied answer raises a "merely satisfied" follow-up; nothing else changes it.
        if existing.level == FollowUpLevel.SATISFIED and level == FollowUpLevel.DISSATISFIED:
            existing.level, existing.answer = level, answer
            existing.due_at = min(existing.due_at, now + timedelta(days=days))
            existing.save(update_fields=["level", "answer", "due_at"])
        return existing
    team, owner = _responsible(invitation)
    follow_up = FollowUp.objects.create(
        invitation=invitation,
        answer=answer,
        level=level,
        team=team,
        owner=owner,
        due_at=now + timedelta(days=days),
        created_at=now,
    )
    _announce(follow_up, invitation, answer, now)
    return follow_up


def _tell(
    users: list[User], *, kind: str, title: Callable[[], str], body: str, ticket: Ticket | None, key: str, now: datetime
) -> None:
    """A notification and an e-mail to each user; `title()` is called with the user's language active."""
    for user in users:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = title()
        notify(recipients=[user], kind=kind, title=subject, body=body, ticket=ticket, now=now)
        staff_email_queue(recipients=[user], subject=subject, body=body, now=now, key=key)


def _announce(follow_up: FollowUp, invitation: Invitation, answer: Answer, now: datetime) -> None:
    contact = invitation.contact
    who = contact.name or _email_address(contact.pk) or f"#{contact.pk}"
    due = timezone.localtime(follow_up.due_at).strftime("%Y-%m-%d %H:%M")

    def title() -> str:
        score = "" if answer.score is None else f"{answer.get_kind_display()} {answer.score}"  # the kind translated
        what = _("%(who)s answered %(score)s") % {"who": who, "score": score}
        return _("Follow-up due %(due)s: %(what)s") % {"due": due, "what": what}

    _tell(
        [follow_up.owner] if follow_up.owner else _supervisors(),
        kind="survey.follow_up",
        title=title,
        body=f"{answer.comment}\n\n{settings.BASE_URL}/follow-ups/{follow_up.pk}/".strip(),
        ticket=invitation.ticket,
        key=f"follow-up:{follow_up.pk}",
        now=now,
    )
    webhooks_queue(event="survey.follow_up", payload=_payload(follow_up, invitation, answer), now=now)


def _payload(follow_up: FollowUp, invitation: Invitation, answer: Answer) -> dict[str, object]:
    return {
        "follow_up": follow_up.pk,
        "level": follow_up.level,
        "due_at": follow_up.due_at.isoformat(),
        "owner": follow_up.owner_id,
        "team": follow_up.team_id,
        "survey": invitation.survey_id,
        "ticket": invitation.ticket_id,
        "contact": invitation.contact_id,
        "answer": {"kind": answer.kind, "score": answer.score, "comment": answer.comment},
        "url": f"{settings.BASE_URL}/follow-ups/{follow_up.pk}/",
    }


def followup_update(
    *,
    follow_up: FollowUp,
    actor: User,
    now: datetime,
    owner: User | Unset | None = UNSET,
    due_at: datetime | Unset = UNSET,
    action_plan: str | Unset = UNSET,
) -> FollowUp:
    """Reassign, reschedule (supervisors and admins) or write the action plan (its owner too)."""
    manager = actor.role in MANAGER_ROLES
    if not manager and follow_up.owner_id != actor.pk:
        require_role(actor, MANAGER_ROLES, "change another person's follow-up")
    if follow_up.status != FollowUpStatus.OPEN:
        raise Conflict(_("This follow-up is closed."))
    fields = []
    if not isinstance(owner, Unset) and owner != follow_up.owner:
        require_role(actor, MANAGER_ROLES, "reassign follow-ups")
        if owner is not None and (not owner.is_active or owner.role == Role.LIGHT_AGENT):
            raise ValidationError(_("A follow-up's owner is an active agent."), field="owner")
        follow_up.owner = owner
        fields.append("owner")
        if owner is not None and owner.pk != actor.pk:
            notify(
                recipients=[owner],
                kind="survey.follow_up",
                title=_("A follow-up was given to you"),
                body=f"{settings.BASE_URL}/follow-ups/{follow_up.pk}/",
                ticket=follow_up.invitation.ticket,
                now=now,
            )
    if not isinstance(due_at, Unset):
        require_role(actor, MANAGER_ROLES, "reschedule follow-ups")
        follow_up.due_at, follow_up.escalated_at = due_at, None
        fields += ["due_at", "escalated_at"]
    if not isinstance(action_plan, Unset):
        follow_up.action_plan = action_plan.strip()
        fields.append("action_plan")
    follow_up.save(update_fields=fields)
    return follow_up


def followup_close(*, follow_up: FollowUp, actor: User, action_plan: str, outcome: str, now: datetime) -> FollowUp:
    """Close a follow-up: its action plan and an outcome note are required."""
    if actor.role not in MANAGER_ROLES and follow_up.owner_id != actor.pk:
        require_role(actor, MANAGER_ROLES, "close another person's follow-up")
    if follow_up.status != FollowUpStatus.OPEN:
        raise Conflict(_("This follow-up is closed already."))
    action_plan, outcome = action_plan.strip(), outcome.strip()
    if not action_plan:
        raise ValidationError(_("Write the action plan before closing."), field="action_plan")
    if not outcome:
        raise ValidationError(_("Write the outcome before closing."), field="outcome")
    follow_up.action_plan, follow_up.outcome = action_plan, outcome
    follow_up.status, follow_up.closed_at, follow_up.closed_by = FollowUpStatus.CLOSED, now, actor
    follow_up.save(update_fields=["action_plan", "outcome", "status", "closed_at", "closed_by"])
    return follow_up


def _overdue_title(owner: User | None) -> str:
    return _("Overdue follow-up (owner: %(owner)s)") % {"owner": owner.name if owner else _("nobody")}


def followups_escalate_due(*, now: datetime, limit: int = SWEEP_BATCH) -> int:
    """Overdue follow-ups go to the supervisors (once each, until rescheduled)."""
    escalated = 0
    due = FollowUp.objects.filter(status=FollowUpStatus.OPEN, due_at__lte=now, escalated_at__isnull=True)
    pks = list(due.order_by("due_at").values_list("pk", flat=True)[:limit])
    supervisors = _supervisors() if pks else []
    for pk in pks:
        with transaction.atomic():
            follow_up = (
                FollowUp.objects.select_for_update(of=("self",))
                .filter(pk=pk, status=FollowUpStatus.OPEN, escalated_at__isnull=True)
                .select_related("invitation__ticket", "owner")
                .first()
            )
            if follow_up is None:
                continue
            follow_up.escalated_at = now
            follow_up.save(update_fields=["escalated_at"])
            _tell(
                supervisors,
                kind="survey.follow_up_overdue",
                title=partial(_overdue_title, follow_up.owner),
                body=f"{settings.BASE_URL}/follow-ups/{follow_up.pk}/",
                ticket=follow_up.invitation.ticket,
                key=f"follow-up-overdue:{pk}:{now.date()}",
                now=now,
            )
            escalated += 1
    return escalated


# --- the sweep -------------------------------------------------------------------------


def surveys_sweep(*, now: datetime) -> dict[str, int]:
    return {
        "rounds": relationship_rounds_run(now=now),
        "sent": invitations_send_due(now=now),
        "reminded": reminders_send_due(now=now),
        "escalated": followups_escalate_due(now=now),
    }


def surveys_sweep_now() -> None:
    """The ticker's entry point."""
    surveys_sweep(now=timezone.now())


# --- the weekly digest -----------------------------------------------------------------

DIGEST_WEEKDAY, DIGEST_HOUR = 0, 7  # Monday 07:00, site time


def digest_queue(*, now: datetime) -> int:
    """The weekly digest (FB6) for supervisors and admins: last week's (Monday to Sunday, site
    time) scores against the week before, follow-ups, themes and ideas. From Monday 07:00 on,
    once per recipient and week however often it runs. Returns how many e-mails were queued."""
    from frontdesk.surveys import scores

    local = timezone.localtime(now)
    if local.weekday() == DIGEST_WEEKDAY and local.hour < DIGEST_HOUR:
        return 0
    monday = local.date() - timedelta(days=local.weekday() + 7)
    zone = timezone.get_current_timezone()
    start = datetime.combine(monday, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=zone)
    key = f"survey-digest:{monday.isoformat()}"
    managers = _supervisors()
    sent = set(
        StaffEmail.objects.filter(key__in=[f"{key}:{user.pk}" for user in managers]).values_list("key", flat=True)
    )
    recipients = [user for user in managers if f"{key}:{user.pk}" not in sent]
    if not recipients:
        return 0
    open_follow_ups = FollowUp.objects.filter(status=FollowUpStatus.OPEN)
    context = {
        "current": scores.summary(start=start, end=end),
        "previous": scores.summary(start=start - timedelta(days=7), end=start),
        "themes": scores.themes(start=start, end=end, limit=5),
        "ideas": list(
            Answer.objects.filter(is_idea=True, answered_at__gte=start, answered_at__lt=end)
            .order_by("-answered_at")
            .values_list("comment", flat=True)[:5]
        ),
        "open": open_follow_ups.count(),
        "overdue": open_follow_ups.filter(due_at__lte=now).count(),
        "url": f"{settings.BASE_URL}/reports/surveys/",
    }
    queued = 0
    for user in recipients:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            body = render_to_string("surveys/digest.txt", context)
            subject = _("Customer feedback, week of %(monday)s") % {"monday": monday.isoformat()}
        queued += staff_email_queue(recipients=[user], subject=subject, body=body, now=now, key=key)
    return queued
