from datetime import datetime
from typing import Any

import factory

from frontdesk.accounts.models import Contact
from frontdesk.accounts.tests.factories import ContactFactory
from frontdesk.surveys.models import (
    Answer,
    Invitation,
    InvitationStatus,
    Question,
    QuestionKind,
    Survey,
    SurveyKind,
    Topic,
    Trigger,
)
from frontdesk.tickets.tests.factories import NOW


class SurveyFactory(factory.django.DjangoModelFactory[Survey]):
    """A transactional survey sent when a ticket is solved, without questions (see `csat_survey`)."""

    class Meta:
        model = Survey

    name = factory.Sequence(lambda n: f"Survey {n}")
    kind = SurveyKind.TRANSACTIONAL
    trigger = Trigger.TICKET_SOLVED
    delay_minutes = 0
    created_at = NOW
    updated_at = NOW


def question(survey: Survey, kind: str, position: int = 0, **fields: Any) -> Question:
    """A question with the thresholds the services give by default."""
    from frontdesk.surveys.services import DEFAULT_THRESHOLDS

    alert, satisfied = DEFAULT_THRESHOLDS.get(kind, (None, None))
    values: dict[str, Any] = {"alert_at_most": alert, "satisfied_at_most": satisfied}
    values.update(fields)
    return Question.objects.create(survey=survey, kind=kind, position=position, **values)


def csat_survey(**fields: Any) -> Survey:
    """CSAT 1–5, "did we solve your problem?", a comment: the usual after-ticket survey."""
    survey = SurveyFactory.create(**fields)
    question(survey, QuestionKind.CSAT, 0)
    question(survey, QuestionKind.YES_NO, 1, topic=Topic.SOLVED)
    question(survey, QuestionKind.COMMENT, 2)
    return survey


def sent_invitation(
    survey: Survey, contact: Contact | None = None, *, now: datetime = NOW, **fields: Any
) -> Invitation:
    """An invitation as the sweep leaves it once sent."""
    return Invitation.objects.create(
        survey=survey,
        contact=contact or ContactFactory.create(),
        language="en",
        status=InvitationStatus.SENT,
        send_at=now,
        sent_at=now,
        created_at=now,
        **fields,
    )


def answer(invitation: Invitation, kind: str, score: int | None, *, now: datetime = NOW, **fields: Any) -> Answer:
    """An answer row with the invitation's dimensions (bypassing the closed loop: use answers_record for that)."""
    found = invitation.survey.questions.filter(kind=kind).first() or question(invitation.survey, kind)
    return Answer.objects.create(
        invitation=invitation,
        question=found,
        survey=invitation.survey,
        kind=kind,
        topic=found.topic,
        score=score,
        answered_at=now,
        contact=invitation.contact,
        agent=invitation.agent,
        team=invitation.team,
        organisation=invitation.organisation,
        channel=invitation.channel,
        region=invitation.region,
        product=invitation.product,
        booking_stage=invitation.booking_stage,
        **fields,
    )
