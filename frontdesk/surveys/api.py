"""REST endpoints of surveys: the programme, surveys, invitations, answers, follow-ups, scores.

Thin: parse → access_* → one service → schema. Agents read the survey settings, see the
follow-ups they own or their teams own, and opt contacts out; supervisors and admins change
surveys, send milestone surveys, read invitations and the scores (the services and selectors
check the role). Light agents see none of it. Customers answer on the web only, through their
signed links; the one endpoint without authentication is the published score.
"""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import Status as WithStatus

from frontdesk.accounts.models import Contact, Organisation, User
from frontdesk.accounts.selectors import access_contact, chosen_agent, chosen_team, organisation_list
from frontdesk.api.auth import request_agent
from frontdesk.api.pagination import Page, paginate
from frontdesk.api.schemas import ERRORS
from frontdesk.core.errors import NotFound, ValidationError
from frontdesk.core.services import UNSET
from frontdesk.reports.periods import Period
from frontdesk.reports.schemas import PeriodQuery
from frontdesk.surveys import scores
from frontdesk.surveys.models import FollowUp, FollowUpStatus, Invitation, Programme, Survey
from frontdesk.surveys.schemas import (
    AnswerPageOut,
    AnswerQuery,
    BreakdownQuery,
    FollowUpCloseIn,
    FollowUpDetailOut,
    FollowUpPageOut,
    FollowUpPatch,
    FollowUpQuery,
    IdeaQuery,
    InvitationDetailOut,
    InvitationOut,
    InvitationPageOut,
    InvitationQuery,
    MilestoneIn,
    OptOutOut,
    PhraseQuery,
    ProgrammeOut,
    ProgrammePatch,
    PublicScoreOut,
    ScoreBreakdownOut,
    ScorePhrasesOut,
    ScoreQuery,
    ScoreSummaryOut,
    ScoreThemesOut,
    ScoreTrendOut,
    SurveyIn,
    SurveyOut,
    ThemeQuery,
    TrendQuery,
)
from frontdesk.surveys.selectors import (
    access_follow_up,
    access_survey,
    access_survey_invitation,
    contact_opted_out,
    follow_up_list,
    invitation_list,
    published_csat,
    require_survey_manager,
    require_survey_reader,
    survey_list,
)
from frontdesk.surveys.services import (
    QuestionInput,
    contact_opt_in,
    contact_opt_out,
    followup_close,
    followup_update,
    invitation_send_milestone,
    programme,
    programme_update,
    survey_delete,
    survey_save,
)

router = Router(tags=["surveys"])

NO_CONTENT = {204: None, **ERRORS}


# --- lookups of what a body names ------------------------------------------------------------


def _organisations(user: User, organisation_ids: list[int]) -> list[Organisation]:
    found = list(organisation_list(user=user).filter(pk__in=organisation_ids))
    missing = sorted(set(organisation_ids) - {organisation.pk for organisation in found})
    if missing:
        raise ValidationError(
            _("There is no organisation with id %(ids)s.") % {"ids": ", ".join(map(str, missing))},
            field="organisations",
        )
    return found


def _contact(user: User, contact_id: int) -> Contact:
    try:
        return access_contact(user, contact_id)
    except NotFound:
        raise ValidationError(_("There is no contact with id %(id)s.") % {"id": contact_id}, field="contact") from None


# --- the programme -------------------------------------------------------------------------


@router.get("/surveys/programme", response={200: ProgrammeOut, **ERRORS}, summary="Read the survey programme")
def get_survey_programme(request: HttpRequest) -> Programme:
    """Settings that hold across every survey: the days between two surveys to one contact, and
    whether the CSAT score is published."""
    require_survey_reader(request_agent(request))
    return programme()


@router.patch(
    "/surveys/programme",
    response={200: ProgrammeOut, **ERRORS},
    summary="Change the survey programme (supervisors and admins)",
)
def update_survey_programme(request: HttpRequest, payload: ProgrammePatch) -> Programme:
    """Only the fields sent change."""
    changes: dict[str, Any] = payload.model_dump(exclude_unset=True)
    return programme_update(**changes, actor=request_agent(request), now=timezone.now())


# --- surveys -----------------------------------------------------------------------------------


def _save_survey(request: HttpRequest, payload: SurveyIn, survey: Survey | None) -> Survey:
    user = request_agent(request)
    fields = payload.model_dump(exclude={"organisations", "followup_team", "questions", "trigger"})
    questions = [
        QuestionInput(
            kind=question.kind,
            topic=question.topic or "",
            text=question.text,
            choices=question.choices,
            alert_at_most=question.alert_at_most if "alert_at_most" in question.model_fields_set else UNSET,
            satisfied_at_most=(
                question.satisfied_at_most if "satisfied_at_most" in question.model_fields_set else UNSET
            ),
        )
        for question in payload.questions
    ]
    saved = survey_save(
        survey=survey,
        **fields,
        trigger=payload.trigger or "",
        organisations=_organisations(user, payload.organisations),
        followup_team=chosen_team(user=user, team_id=payload.followup_team, field="followup_team"),
        questions=questions,
        actor=user,
        now=timezone.now(),
    )
    return access_survey(user, saved.pk)


@router.get("/surveys", response={200: list[SurveyOut], **ERRORS}, summary="List surveys")
def list_surveys(request: HttpRequest) -> list[Survey]:
    """Every survey by name, with its questions."""
    return list(survey_list(user=request_agent(request)))


@router.post("/surveys", response={201: SurveyOut, **ERRORS}, summary="Create a survey (supervisors and admins)")
def create_survey(request: HttpRequest, payload: SurveyIn) -> WithStatus[Survey]:
    return WithStatus(201, _save_survey(request, payload, None))


@router.get("/surveys/{survey_id}", response={200: SurveyOut, **ERRORS}, summary="Read a survey")
def get_survey(request: HttpRequest, survey_id: int) -> Survey:
    return access_survey(request_agent(request), survey_id)


@router.put(
    "/surveys/{survey_id}", response={200: SurveyOut, **ERRORS}, summary="Change a survey (supervisors and admins)"
)
def update_survey(request: HttpRequest, survey_id: int, payload: SurveyIn) -> Survey:
    """The whole survey, its questions replaced. An answered question keeps its answers while the
    question at its position keeps its kind."""
    return _save_survey(request, payload, access_survey(request_agent(request), survey_id))


@router.delete("/surveys/{survey_id}", response=NO_CONTENT, summary="Delete a survey (supervisors and admins)")
def delete_survey(request: HttpRequest, survey_id: int) -> WithStatus[None]:
    """409 once anyone has answered it: deactivate it instead (`is_active: false`)."""
    user = request_agent(request)
    survey_delete(survey=access_survey(user, survey_id), actor=user)
    return WithStatus(204, None)


# --- invitations -----------------------------------------------------------------------------


@router.get(
    "/surveys/{survey_id}/invitations",
    response={200: InvitationPageOut, **ERRORS},
    summary="A survey's invitations (supervisors and admins)",
)
def list_survey_invitations(request: HttpRequest, survey_id: int, query: Query[InvitationQuery]) -> Page[Invitation]:
    """Newest first, a page at a time: what was sent, what was not and why, what was answered."""
    user = request_agent(request)
    survey = access_survey(user, survey_id)
    invitations = invitation_list(user=user, survey_id=survey.pk, status=query.status or "")
    return paginate(invitations, order="-created_at", cursor=query.cursor, size=query.limit)


@router.post(
    "/surveys/{survey_id}/invitations",
    response={201: InvitationOut, **ERRORS},
    summary="Survey a contact after a milestone (supervisors and admins)",
)
def send_survey_milestone(request: HttpRequest, survey_id: int, payload: MilestoneIn) -> WithStatus[Invitation]:
    """For a survey triggered by milestones (an implementation's go-live, say). The invitation is
    due at once: the next sweep sends it, unless the programme's throttle or an opt-out holds it
    back (the invitation then records why). Once per contact and milestone: the same one again is 409."""
    user = request_agent(request)
    survey = access_survey(user, survey_id)
    invitation = invitation_send_milestone(
        survey=survey,
        contact=_contact(user, payload.contact),
        occasion=payload.occasion,
        actor=user,
        now=timezone.now(),
    )
    return WithStatus(201, invitation)


@router.get(
    "/survey-invitations/{invitation_id}",
    response={200: InvitationDetailOut, **ERRORS},
    summary="Read an invitation with its answers (supervisors and admins)",
)
def get_survey_invitation(request: HttpRequest, invitation_id: int) -> Invitation:
    return access_survey_invitation(request_agent(request), invitation_id)


# --- opting out --------------------------------------------------------------------------------


def _opt_out_state(contact: Contact) -> dict[str, object]:
    return {"contact": contact.pk, "survey_opted_out": contact_opted_out(contact)}


@router.get(
    "/contacts/{contact_id}/survey-opt-out",
    response={200: OptOutOut, **ERRORS},
    summary="Whether a contact opted out of surveys",
)
def get_survey_opt_out(request: HttpRequest, contact_id: int) -> dict[str, object]:
    user = require_survey_reader(request_agent(request))
    return _opt_out_state(access_contact(user, contact_id))


@router.post(
    "/contacts/{contact_id}/survey-opt-out",
    response={200: OptOutOut, **ERRORS},
    summary="Opt a contact out of surveys",
)
def opt_out_of_surveys(request: HttpRequest, contact_id: int) -> dict[str, object]:
    """No survey is sent to them any more: scheduled invitations are withdrawn, reminders stop."""
    user = require_survey_reader(request_agent(request))
    contact = access_contact(user, contact_id)
    contact_opt_out(contact=contact, actor=user, now=timezone.now())
    return _opt_out_state(contact)


@router.delete(
    "/contacts/{contact_id}/survey-opt-out",
    response={200: OptOutOut, **ERRORS},
    summary="Let a contact be surveyed again",
)
def opt_in_to_surveys(request: HttpRequest, contact_id: int) -> dict[str, object]:
    """When the contact asks for it. Invitations withdrawn while they were opted out stay withdrawn."""
    user = require_survey_reader(request_agent(request))
    contact = access_contact(user, contact_id)
    contact_opt_in(contact=contact, actor=user)
    return _opt_out_state(contact)


# --- follow-ups ----------------------------------------------------------------------------------


@router.get("/follow-ups", response={200: FollowUpPageOut, **ERRORS}, summary="List follow-ups")
def list_follow_ups(request: HttpRequest, query: Query[FollowUpQuery]) -> Page[FollowUp]:
    """Supervisors and admins see all; agents those they own or their teams own. Open ones by due
    date, soonest first; closed ones newest first."""
    now = timezone.now()
    follow_ups = follow_up_list(
        user=request_agent(request),
        status="" if query.status == "all" else query.status,
        mine=query.mine,
        overdue_at=now if query.overdue else None,
    )
    order = "due_at" if query.status == FollowUpStatus.OPEN else "-created_at"
    return paginate(follow_ups, order=order, cursor=query.cursor, size=query.limit)


@router.get("/follow-ups/{follow_up_id}", response={200: FollowUpDetailOut, **ERRORS}, summary="Read a follow-up")
def get_follow_up(request: HttpRequest, follow_up_id: int) -> FollowUp:
    """With every answer of the invitation that opened it."""
    return access_follow_up(request_agent(request), follow_up_id)


@router.patch("/follow-ups/{follow_up_id}", response={200: FollowUpDetailOut, **ERRORS}, summary="Change a follow-up")
def update_follow_up(request: HttpRequest, follow_up_id: int, payload: FollowUpPatch) -> FollowUp:
    """Supervisors and admins reassign it (`owner: null`: nobody) and reschedule it; its owner
    writes the action plan. 409 once closed."""
    user = request_agent(request)
    follow_up = access_follow_up(user, follow_up_id)
    changes: dict[str, Any] = payload.model_dump(exclude_unset=True)
    if "owner" in changes:
        changes["owner"] = chosen_agent(user=user, agent_id=changes["owner"], field="owner")
    followup_update(follow_up=follow_up, **changes, actor=user, now=timezone.now())
    return access_follow_up(user, follow_up_id)


@router.post(
    "/follow-ups/{follow_up_id}/close",
    response={200: FollowUpDetailOut, **ERRORS},
    summary="Close a follow-up with its action plan and outcome",
)
def close_follow_up(request: HttpRequest, follow_up_id: int, payload: FollowUpCloseIn) -> FollowUp:
    """Both notes are required; leave `action_plan` out to keep the one written before. Its owner,
    supervisors and admins close it."""
    user = request_agent(request)
    follow_up = access_follow_up(user, follow_up_id)
    action_plan = follow_up.action_plan if payload.action_plan is None else payload.action_plan
    followup_close(
        follow_up=follow_up, action_plan=action_plan, outcome=payload.outcome, actor=user, now=timezone.now()
    )
    return access_follow_up(user, follow_up_id)


# --- scores (supervisors and admins) ----------------------------------------------------------


def _period(request: HttpRequest, query: PeriodQuery) -> Period:
    """The period a score query names, for a supervisor or an admin (the dashboard's rule)."""
    require_survey_manager(request_agent(request))
    return query.report_period(now=timezone.now(), zone=timezone.get_current_timezone())


def _period_out(period: Period) -> dict[str, object]:
    return {"start": period.start, "end": period.end, "first_day": period.first_day, "last_day": period.last_day}


@router.get(
    "/survey-scores/summary",
    response={200: ScoreSummaryOut, **ERRORS},
    summary="CSAT, NPS, CES and response rate over a period (supervisors and admins)",
)
def survey_score_summary(request: HttpRequest, query: Query[ScoreQuery]) -> dict[str, object]:
    period = _period(request, query)
    figures = scores.summary(start=period.start, end=period.end, filters=query.filters())
    return {**_period_out(period), "summary": figures}


@router.get(
    "/survey-scores/trend",
    response={200: ScoreTrendOut, **ERRORS},
    summary="Survey scores by day, week or month (supervisors and admins)",
)
def survey_score_trend(request: HttpRequest, query: Query[TrendQuery]) -> dict[str, object]:
    """Every bucket of the period, those without answers too."""
    period = _period(request, query)
    points = scores.trend(start=period.start, end=period.end, bucket=query.bucket, filters=query.filters())
    return {**_period_out(period), "bucket": query.bucket, "points": points}


@router.get(
    "/survey-scores/breakdown",
    response={200: ScoreBreakdownOut, **ERRORS},
    summary="Survey scores by agent, team, region, product, channel… (supervisors and admins)",
)
def survey_score_breakdown(request: HttpRequest, query: Query[BreakdownQuery]) -> dict[str, object]:
    """A row per value of the dimension with answers or invitations in the period; the answers
    without one are the row "-". Drill down with the row's key as the filter of that dimension."""
    period = _period(request, query)
    rows = scores.breakdown(start=period.start, end=period.end, dimension=query.dimension, filters=query.filters())
    return {**_period_out(period), "dimension": query.dimension, "rows": rows}


@router.get(
    "/survey-scores/answers",
    response={200: AnswerPageOut, **ERRORS},
    summary="The answers behind the scores (supervisors and admins)",
)
def list_survey_score_answers(request: HttpRequest, query: Query[AnswerQuery]) -> scores.AnswerPage:
    """Newest first, a page at a time; the same period and filters as the figures, and narrowed
    by kind, score or band, theme, sentiment or text."""
    period = _period(request, query)
    return scores.answers(
        start=period.start,
        end=period.end,
        filters=query.filters(),
        kind=query.kind or "",
        score=query.score,
        score_min=query.score_min,
        score_max=query.score_max,
        theme=query.theme,
        sentiment=query.sentiment or "",
        text=query.text,
        cursor=query.cursor,
        limit=query.limit,
    )


@router.get(
    "/survey-scores/themes",
    response={200: ScoreThemesOut, **ERRORS},
    summary="Recurring themes of the comments, and over time (supervisors and admins)",
)
def survey_score_themes(request: HttpRequest, query: Query[ThemeQuery]) -> dict[str, object]:
    """Themes found offline in the comments (any of our languages), the most frequent first with
    how many were negative; and every theme's count per bucket."""
    period = _period(request, query)
    filters = query.filters()
    over_time = scores.themes_over_time(start=period.start, end=period.end, bucket=query.bucket, filters=filters)
    return {
        **_period_out(period),
        "themes": scores.themes(start=period.start, end=period.end, filters=filters, limit=query.limit),
        "bucket": query.bucket,
        "over_time": [{"start": day, "counts": counts} for day, counts in over_time],
    }


@router.get(
    "/survey-scores/phrases",
    response={200: ScorePhrasesOut, **ERRORS},
    summary="Recurring phrases in one language's comments (supervisors and admins)",
)
def survey_score_phrases(request: HttpRequest, query: Query[PhraseQuery]) -> dict[str, object]:
    """Emergent themes: phrases that recur in the period's comments and that no theme names yet."""
    period = _period(request, query)
    found = scores.phrases(start=period.start, end=period.end, language=query.language, limit=query.limit)
    return {
        **_period_out(period),
        "language": query.language,
        "phrases": [{"phrase": phrase, "count": count} for phrase, count in found],
    }


@router.get(
    "/survey-scores/ideas",
    response={200: AnswerPageOut, **ERRORS},
    summary="Ideas and suggestions from the comments (supervisors and admins)",
)
def list_survey_ideas(request: HttpRequest, query: Query[IdeaQuery]) -> scores.AnswerPage:
    """Comments tagged as ideas or suggestions, newest first, a page at a time."""
    period = _period(request, query)
    return scores.answers(
        start=period.start, end=period.end, filters=query.filters(), ideas=True, cursor=query.cursor, limit=query.limit
    )


# --- the public score --------------------------------------------------------------------------


@router.get(
    "/public/csat",
    auth=None,
    response={200: PublicScoreOut, **ERRORS},
    summary="The published CSAT score (no authentication)",
)
def get_public_csat(request: HttpRequest) -> scores.PublicScore:
    """The share of 4–5 answers over the last 90 days, with the number of answers; 404 unless
    the programme publishes it."""
    return published_csat(now=timezone.now())
