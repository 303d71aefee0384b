"""The survey pages.

Customers (no sign-in: the signed token in the link is the access), in the invitation's
language: the survey (/s/<token>/), the one-click answer of the e-mail
(/s/<token>/<question>/<score>/), the opt-out (/s/<token>/opt-out/). Anyone: the public CSAT
page and badge (/score/, when the programme publishes it). Agents: their follow-ups
(/follow-ups/). Supervisors and admins: the survey settings (/settings/surveys/), which agents
may read.

Each view parses its input, asks one selector, calls one service and renders; a service's
refusal is shown on the form with nothing changed.
"""

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Concatenate, ParamSpec

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.models import MANAGER_ROLES, Role, User
from frontdesk.accounts.selectors import agent_list, organisation_list, team_list
from frontdesk.core.errors import Conflict, FrontdeskError, NotFound
from frontdesk.surveys import scores, services
from frontdesk.surveys.forms import (
    AnswerForm,
    FollowUpCloseForm,
    FollowUpForm,
    KeyAccountsForm,
    ProgrammeForm,
    SurveyForm,
)
from frontdesk.surveys.models import (
    SCALES,
    Answer,
    FollowUp,
    FollowUpStatus,
    Invitation,
    InvitationStatus,
    QuestionKind,
    Survey,
)
from frontdesk.surveys.selectors import (
    access_follow_up,
    access_invitation,
    access_survey,
    answers_in_order,
    contact_opted_out,
    follow_up_list,
    invitation_counts,
    invitation_list,
    published_csat,
    require_survey_manager,
    require_survey_reader,
    survey_list,
)
from frontdesk.workspace.views import HtmxHttpRequest, agent_view

P = ParamSpec("P")
FOLLOW_UPS_PAGE_SIZE = 50
INVITATIONS_PAGE_SIZE = 50
RECENT = timedelta(days=30)  # the settings list counts invitations sent this recently
BADGE_CACHE_SECONDS = 600


# --- the customer's pages --------------------------------------------------------------


def customer_view(
    view: Callable[Concatenate[HttpRequest, P], HttpResponseBase],
) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
    """No sign-in; a forged or mangled token gets the "link not valid" page (404)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            return render(request, "surveys/invalid_link.html", status=404)

    return never_cache(wrapper)


def _survey_page(
    request: HttpRequest,
    invitation: Invitation,
    *,
    now: datetime,
    form: AnswerForm | None = None,
    answered: int | None = None,
    thanks: bool = False,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The survey in the invitation's language (the caller has it active): every question with the
    earlier answers chosen; after a one-click answer, the other questions only."""
    questions = list(invitation.survey.questions.all())
    if form is None:
        shown = [question for question in questions if question.pk != answered]
        earlier = list(invitation.answers.all())
        form = AnswerForm(questions=shown, language=invitation.language, earlier=earlier)
    context = {
        "invitation": invitation,
        "survey": invitation.survey,
        "intro": invitation.survey.intro.get(invitation.language, ""),
        "form": form,
        "rows": form.rows(),
        "closed": services.closed_reason(invitation, now),
        "answered": answered,
        "thanks": thanks,
        "error": error,
        "token": services.invitation_token(invitation),
    }
    response = render(request, "surveys/survey.html", context, status=status)
    response["Content-Language"] = invitation.language
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@customer_view
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The whole survey; posting it records the answers given (and replaces earlier ones)."""
    invitation = access_invitation(token)
    now = timezone.now()
    with translation.override(invitation.language):
        if request.method != "POST":
            return _survey_page(request, invitation, now=now, thanks="thanks" in request.GET)
        questions = list(invitation.survey.questions.all())
        form = AnswerForm(request.POST, questions=questions, language=invitation.language)
        if form.is_valid():
            with form.service_errors():
                services.answers_record(invitation=invitation, answers=form.answers(), now=now)
                return redirect(reverse("surveys:survey", args=[token]) + "?thanks=1")
        return _survey_page(request, invitation, now=now, form=form, status=form.error_status)


@require_http_methods(["GET", "HEAD"])
@customer_view
def answer_one_click(request: HttpRequest, token: str, question_id: int, score: int) -> HttpResponse:
    """The e-mail's one-click answer: recorded at once, then the other questions (a comment, say).
    A HEAD (a link checker, a preview) records nothing."""
    invitation = access_invitation(token)
    now = timezone.now()
    with translation.override(invitation.language):
        if request.method == "HEAD":
            return _survey_page(request, invitation, now=now)
        try:
            services.answers_record(invitation=invitation, answers={question_id: (score, "")}, now=now)
        except FrontdeskError as refused:
            return _survey_page(request, invitation, now=now, error=refused.message, status=refused.status)
        return _survey_page(request, invitation, now=now, answered=question_id)


def _opt_out_page(request: HttpRequest, invitation: Invitation, *, opted_out: bool, changed: bool) -> HttpResponse:
    context = {
        "invitation": invitation,
        "opted_out": opted_out,
        "changed": changed,
        "token": services.invitation_token(invitation),
    }
    response = render(request, "surveys/opt_out.html", context)
    response["Content-Language"] = invitation.language
    return response


@csrf_exempt  # RFC 8058: the mail provider's one-click POST carries no CSRF token; the signed token is the access
@require_http_methods(["GET", "HEAD", "POST"])
@customer_view
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a button to confirm. POST (the button, or `List-Unsubscribe=One-Click`): no more surveys."""
    invitation = access_invitation(token)
    with translation.override(invitation.language):
        if request.method == "POST":
            services.contact_opt_out(contact=invitation.contact, actor=None, now=timezone.now())
            return _opt_out_page(request, invitation, opted_out=True, changed=True)
        return _opt_out_page(request, invitation, opted_out=contact_opted_out(invitation.contact), changed=False)


@require_POST
@customer_view
def opt_in(request: HttpRequest, token: str) -> HttpResponse:
    """The opt-out page's "undo": surveys again."""
    invitation = access_invitation(token)
    with translation.override(invitation.language):
        services.contact_opt_in(contact=invitation.contact, actor=None)
        return _opt_out_page(request, invitation, opted_out=False, changed=True)


# --- the public score (FB7) -------------------------------------------------------------


def _published_score() -> scores.PublicScore:
    try:
        return published_csat(now=timezone.now())
    except NotFound as error:
        raise Http404(error.message) from None


def answers_label(count: int) -> str:
    return ngettext("%(count)s answer", "%(count)s answers", count) % {
        "count": number_format(count, force_grouping=True)
    }


@require_http_methods(["GET", "HEAD"])
@cache_control(public=True, max_age=BADGE_CACHE_SECONDS)
def public_score(request: HttpRequest) -> HttpResponse:
    score = _published_score()
    context = {"score": score, "answers_label": answers_label(score.answers), "base_url": settings.BASE_URL}
    return render(request, "surveys/score.html", context)


def _badge_colour(csat: float | None) -> str:
    if csat is None:
        return "#9f9f9f"
    for floor, colour in ((90, "#44cc11"), (80, "#97ca00"), (70, "#a4a61d"), (60, "#dfb317")):
        if csat >= floor:
            return colour
    return "#e05d44"


def _text_width(text: str) -> int:
    """Roughly how wide Verdana 11 px sets the text (the SVG's textLength makes it exact)."""
    return int(sum(7.5 if ch.isupper() or ch.isdigit() else 3.5 if ch in " .,·'" else 6.5 for ch in text)) + 10


@require_http_methods(["GET", "HEAD"])
@cache_control(public=True, max_age=BADGE_CACHE_SECONDS)
def public_badge(request: HttpRequest) -> HttpResponse:
    """ "CSAT | 94 % · 1,234 answers" in the shields.io style."""
    score = _published_score()
    label = "CSAT"
    if score.csat is None:
        value = _("no answers yet")
    else:
        value = f"{number_format(round(score.csat))} % · {answers_label(score.answers)}"
    left, right = _text_width(label), _text_width(value)
    context = {
        "label": label,
        "value": value,
        "left": left,
        "right": right,
        "width": left + right,
        "colour": _badge_colour(score.csat),
        "label_x": left * 5,
        "value_x": left * 10 + right * 5,
        "label_length": (left - 10) * 10,
        "value_length": (right - 10) * 10,
    }
    return render(request, "surveys/badge.svg", context, content_type="image/svg+xml; charset=utf-8")


# --- follow-ups ------------------------------------------------------------------------

SCORE_NAMES: dict[str, str] = {QuestionKind.CSAT: "CSAT", QuestionKind.CES: "CES", QuestionKind.NPS: "NPS"}


def answer_label(answer: Answer, language: str) -> str:
    """ "CSAT 1/5", "NPS 3/10", "No", a choice's text; "" for a comment."""
    if answer.score is None:
        return ""
    if answer.kind == QuestionKind.YES_NO:
        return _("Yes") if answer.score else _("No")
    if answer.kind == QuestionKind.CHOICE:
        options = services.question_choices(answer.question, language)
        return options[answer.score] if answer.score < len(options) else str(answer.score)
    top = SCALES[answer.kind].stop - 1
    return f"{SCORE_NAMES.get(answer.kind, answer.kind)} {answer.score}/{top}"


def _tabs() -> list[tuple[str, str]]:
    return [("open", _("Open")), ("mine", _("Mine")), ("overdue", _("Overdue")), ("closed", _("Closed"))]


@require_GET
@agent_view
def follow_ups(request: HtmxHttpRequest) -> HttpResponse:
    user = require_survey_reader(request.user)
    tabs = _tabs()
    tab = request.GET.get("tab", "open")
    if tab not in dict(tabs):
        tab = "open"
    now = timezone.now()
    listed = (
        follow_up_list(
            user=user,
            status=FollowUpStatus.CLOSED if tab == "closed" else FollowUpStatus.OPEN,
            mine=tab == "mine",
            overdue_at=now if tab == "overdue" else None,
        )
        .select_related("answer__question")
        .prefetch_related(
            Prefetch("invitation__answers", queryset=Answer.objects.exclude(comment=""), to_attr="comments")
        )
    )
    page = Paginator(listed, FOLLOW_UPS_PAGE_SIZE).get_page(request.GET.get("page"))
    language = translation.get_language() or settings.LANGUAGE_CODE
    rows = [
        (
            follow_up,
            answer_label(follow_up.answer, language),
            next((a.comment for a in follow_up.invitation.comments), ""),  # type: ignore[attr-defined]  # prefetched
            follow_up.status == FollowUpStatus.OPEN and follow_up.due_at <= now,
        )
        for follow_up in page
    ]
    context = {"page": page, "rows": rows, "tab": tab, "tabs": tabs, "active_view": "follow_ups"}
    return render(request, "surveys/follow_ups.html", context)


def _assignable(user: User) -> list[User]:
    return list(agent_list(user=user).exclude(role=Role.LIGHT_AGENT))


def _follow_up_page(
    request: HtmxHttpRequest,
    user: User,
    follow_up: FollowUp,
    *,
    update_form: FollowUpForm | None = None,
    close_form: FollowUpCloseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    manager = user.role in MANAGER_ROLES
    invitation = follow_up.invitation
    answers = answers_in_order(invitation)
    language = translation.get_language() or settings.LANGUAGE_CODE
    context = {
        "follow_up": follow_up,
        "invitation": invitation,
        "organisation": invitation.organisation,
        "answers": [
            (services.question_text(answer.question, language), answer_label(answer, language), answer.comment)
            for answer in answers
        ],
        "can_act": follow_up.status == FollowUpStatus.OPEN and (manager or follow_up.owner_id == user.pk),
        "manager": manager,
        "update_form": update_form or FollowUpForm(follow_up=follow_up, agents=_assignable(user), manager=manager),
        "close_form": close_form or FollowUpCloseForm(follow_up=follow_up),
        "overdue": follow_up.status == FollowUpStatus.OPEN and follow_up.due_at <= timezone.now(),
        "active_view": "follow_ups",
    }
    return render(request, "surveys/follow_up.html", context, status=status)


@require_http_methods(["GET", "POST"])
@agent_view
def follow_up(request: HtmxHttpRequest, follow_up_id: int) -> HttpResponse:
    """The follow-up with its answer in context; posting changes owner, due date and action plan."""
    user = require_survey_reader(request.user)
    current = access_follow_up(user, follow_up_id)
    if request.method != "POST":
        return _follow_up_page(request, user, current)
    manager = user.role in MANAGER_ROLES
    form = FollowUpForm(request.POST, follow_up=current, agents=_assignable(user), manager=manager)
    if form.is_valid():
        with form.service_errors():
            services.followup_update(follow_up=current, actor=user, now=timezone.now(), **form.update_arguments())
            messages.success(request, _("The follow-up is saved."))
            return redirect("surveys:follow_up", follow_up_id)
    return _follow_up_page(
        request, user, access_follow_up(user, follow_up_id), update_form=form, status=form.error_status
    )


@require_POST
@agent_view
def follow_up_close(request: HtmxHttpRequest, follow_up_id: int) -> HttpResponse:
    """Close with the action plan and the outcome (both required)."""
    user = require_survey_reader(request.user)
    current = access_follow_up(user, follow_up_id)
    form = FollowUpCloseForm(request.POST, follow_up=current)
    if form.is_valid():
        with form.service_errors():
            services.followup_close(follow_up=current, actor=user, now=timezone.now(), **form.close_arguments())
            messages.success(request, _("The follow-up is closed."))
            return redirect("surveys:follow_up", follow_up_id)
    return _follow_up_page(
        request, user, access_follow_up(user, follow_up_id), close_form=form, status=form.error_status
    )


# --- settings --------------------------------------------------------------------------


def _embed_snippet() -> str:
    return (
        f'<a href="{settings.BASE_URL}/score/">'
        f'<img src="{settings.BASE_URL}/score/badge.svg" alt="{_("Customer satisfaction")}"></a>'
    )


def _settings_page(
    request: HtmxHttpRequest,
    user: User,
    *,
    programme_form: ProgrammeForm | None = None,
    accounts_form: KeyAccountsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_manage = user.role in MANAGER_ROLES
    surveys = list(survey_list(user=user).prefetch_related(None).select_related(None))
    counts = invitation_counts(user=user, surveys=surveys, since=timezone.now() - RECENT)
    programme = services.programme()
    programme_form = programme_form or ProgrammeForm(programme=programme)
    accounts_form = accounts_form or KeyAccountsForm(organisations=list(organisation_list(user=user)))
    if not can_manage:
        programme_form.make_read_only()
        accounts_form.make_read_only()
    context = {
        "rows": [(survey, counts.get(survey.pk, {})) for survey in surveys],
        "programme_form": programme_form,
        "accounts_form": accounts_form,
        "can_manage": can_manage,
        "embed": _embed_snippet(),
        "public_score": programme.public_score,
        "active_view": "surveys",
    }
    return render(request, "surveys/settings.html", context, status=status)


@require_GET
@agent_view
def survey_settings(request: HtmxHttpRequest) -> HttpResponse:
    return _settings_page(request, require_survey_reader(request.user))


@require_POST
@agent_view
def programme_save(request: HtmxHttpRequest) -> HttpResponse:
    user = require_survey_manager(request.user)
    form = ProgrammeForm(request.POST, programme=services.programme())
    if form.is_valid():
        with form.service_errors():
            services.programme_update(actor=user, now=timezone.now(), **form.programme_arguments())
            messages.success(request, _("The survey programme is saved."))
            return redirect("surveys:settings")
    return _settings_page(request, user, programme_form=form, status=form.error_status)


@require_POST
@agent_view
def key_accounts_save(request: HtmxHttpRequest) -> HttpResponse:
    """Mark and unmark key accounts: one update per organisation that changed, all or none."""
    user = require_survey_manager(request.user)
    form = KeyAccountsForm(request.POST, organisations=list(organisation_list(user=user)))
    if form.is_valid():
        with form.service_errors():
            changed = services.key_accounts_update(changes=form.changes(), actor=user)
            messages.success(
                request,
                ngettext("%(count)s organisation changed.", "%(count)s organisations changed.", changed)
                % {"count": changed},
            )
            return redirect("surveys:settings")
    return _settings_page(request, user, accounts_form=form, status=form.error_status)


def _survey_form(request: HtmxHttpRequest, user: User, survey: Survey | None) -> SurveyForm:
    form = SurveyForm(
        request.POST or None,
        survey=survey,
        organisations=list(organisation_list(user=user)),
        teams=list(team_list(user=user)),
    )
    if user.role not in MANAGER_ROLES:
        form.make_read_only()
    return form


@require_http_methods(["GET", "POST"])
@agent_view
def survey_form(request: HtmxHttpRequest, survey_id: int | None = None) -> HttpResponse:
    """A new survey (`survey_id` None) or an existing one: agents see it read-only."""
    new = survey_id is None
    changing = new or request.method == "POST"
    user = require_survey_manager(request.user) if changing else require_survey_reader(request.user)
    survey = access_survey(user, survey_id) if survey_id is not None else None
    form = _survey_form(request, user, survey)
    if form.is_bound and form.is_valid():
        with form.service_errors():
            saved = services.survey_save(survey=survey, actor=user, now=timezone.now(), **form.survey_arguments())
            done = _("The survey %(name)s is created.") if new else _("The survey %(name)s is saved.")
            messages.success(request, done % {"name": saved.name})
            return redirect("surveys:settings")
        survey = access_survey(user, survey_id) if survey_id is not None else None  # as stored
    context = {"form": form, "survey": survey, "can_log": user.role in MANAGER_ROLES, "active_view": "surveys"}
    return render(request, "surveys/survey_form.html", context, status=form.error_status if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
@agent_view
def survey_delete(request: HtmxHttpRequest, survey_id: int) -> HttpResponse:
    """GET: the confirmation. POST: delete, or back to the survey with the refusal (it has answers)."""
    user = require_survey_manager(request.user)
    survey = access_survey(user, survey_id)
    if request.method == "POST":
        try:
            services.survey_delete(survey=survey, actor=user)
        except Conflict as refused:
            messages.error(request, refused.message)
            return redirect("surveys:survey_edit", survey_id)
        messages.success(request, _("The survey %(name)s is deleted.") % {"name": survey.name})
        return redirect("surveys:settings")
    context = {"survey": survey, "can_log": True, "active_view": "surveys"}
    return render(request, "surveys/survey_delete.html", context)


@require_GET
@agent_view
def invitations(request: HtmxHttpRequest, survey_id: int) -> HttpResponse:
    """The invitation log of a survey: sent, throttled (and why), answered; newest first."""
    user = require_survey_manager(request.user)
    survey = access_survey(user, survey_id)
    status = request.GET.get("status", "")
    status = status if status in InvitationStatus.values else ""
    listed = invitation_list(user=user, survey_id=survey.pk, status=status)
    page = Paginator(listed, INVITATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "survey": survey,
        "page": page,
        "status": status,
        "statuses": InvitationStatus.choices,
        "can_log": True,
        "active_view": "surveys",
    }
    return render(request, "surveys/invitations.html", context)
