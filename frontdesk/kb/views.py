"""The knowledge-base editor for agents (/kb/…), and the ticket page's article search and suggestions.

Everyone on the team reads: the article list, an article's overview, its versions and their
diff, the reports. Agents, supervisors and admins write articles and send them to review;
supervisors and admins publish and archive, and manage categories, sections, the help centre's
look and the changelog. Light agents read only. The pages show only the buttons a role may
use; the services decide (a refused write answers 403 or shows the reason on the form).

Each view parses its input, asks one selector or service, and renders.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.models import EDITOR_ROLES, MANAGER_ROLES, User
from frontdesk.accounts.selectors import require_agent
from frontdesk.core.errors import FrontdeskError, PermissionDenied
from frontdesk.core.services import require_role
from frontdesk.kb import services
from frontdesk.kb.forms import (
    LANGUAGE_CHOICES,
    ArticleCreateForm,
    ArticleFilterForm,
    ArticleSettingsForm,
    CategoryForm,
    ChangelogForm,
    FileUploadForm,
    HelpCentreForm,
    NewTranslationForm,
    PreviewForm,
    ReportPeriodForm,
    SectionForm,
    TranslationForm,
    VersionPickForm,
)
from frontdesk.kb.markdown import article_url, file_names, file_url
from frontdesk.kb.markdown import render as render_markdown
from frontdesk.kb.models import (
    Article,
    ArticleFile,
    ArticleStatus,
    SearchSource,
    Translation,
    Visibility,
)
from frontdesk.kb.search import Hit, search, search_click, search_log, suggest
from frontdesk.kb.selectors import (
    AGENTS,
    access_category,
    access_changelog_entry,
    access_editor_article,
    access_editor_file,
    access_section,
    access_translation,
    best_translation,
    category_list,
    changelog_list,
    changelog_subscriber_counts,
    editor_articles,
    is_outdated,
    link_translations,
    localised,
    search_analytics,
    section_list,
    ticket_question,
    translation_versions,
    usefulness,
    version_diff,
)
from frontdesk.kb.services import LOCALE
from frontdesk.portal.selectors import deflection_summary
from frontdesk.tickets.models import Ticket
from frontdesk.tickets.selectors import access_ticket
from frontdesk.workspace.views import HtmxHttpRequest, agent_view, confirm_delete

PAGE_SIZE = 25
HITS = 8  # results of the reply box's article search
SUGGESTIONS = 5


def _status_actions() -> dict[str, str]:
    """The buttons that move a translation through the workflow, by the status they lead to."""
    return {
        ArticleStatus.REVIEW: _("Send to review"),
        ArticleStatus.PUBLISHED: _("Publish"),
        ArticleStatus.ARCHIVED: _("Archive"),
        ArticleStatus.DRAFT: _("Back to draft"),
    }


def _locale_name(code: str) -> str:
    """ "Spanish" for es (in the page's language); the code itself for a language Django does not know."""
    names = dict(LANGUAGE_CHOICES)
    if code in names:
        return str(names[code])
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def _checked_locale(locale: str) -> str:
    if not LOCALE.fullmatch(locale):
        raise Http404("No such language.")
    return locale


# --- article list ---------------------------------------------------------------------------------


@require_GET
@agent_view
def articles(request: HtmxHttpRequest) -> HttpResponse:
    """Every article, most recently changed first, with each language's status; filters above."""
    user = require_agent(request.user)
    form = ArticleFilterForm(request.GET)
    cursor = request.GET.get("cursor", "")
    page = editor_articles(user=user, cursor=cursor, size=PAGE_SIZE, **form.filters())
    locale = user.language or settings.LANGUAGE_CODE
    rows = [(row, localised(row.article.section.names, locale, row.article.section.slug)) for row in page.items]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "cursor": cursor,
        "query": _query_without_cursor(request),
        "can_edit": user.role in EDITOR_ROLES,
        "section": "articles",
    }
    return render(request, "kb/articles.html", context)


def _query_without_cursor(request: HtmxHttpRequest) -> str:
    query = request.GET.copy()
    query.pop("cursor", None)
    return query.urlencode()


@require_http_methods(["GET", "POST"])
@agent_view
def article_new(request: HtmxHttpRequest) -> HttpResponse:
    user = require_agent(request.user)
    require_role(user, EDITOR_ROLES, _("write articles"))
    sections = list(section_list(user=user))
    form = ArticleCreateForm(request.POST or None, sections=sections, locale=get_language() or "en")
    if form.is_bound and form.is_valid():
        with form.service_errors():
            translation = services.article_create(actor=user, now=timezone.now(), **form.article_arguments())
            messages.success(request, _("The article is created as a draft."))
            return redirect("kb:translation_edit", translation.article_id, translation.locale)
    context = {
        "form": form,
        "has_sections": bool(sections),
        "section": "articles",
        "can_manage": user.role in MANAGER_ROLES,
    }
    return render(request, "kb/article_new.html", context, status=form.error_status if form.errors else 200)


# --- an article -------------------------------------------------------------------------------------


def _translations(article: Article) -> dict[str, Translation]:
    return {translation.locale: translation for translation in article.translations.all()}


@dataclass(frozen=True)
class LocaleRow:
    locale: str
    name: str
    translation: Translation | None
    outdated: bool
    is_source: bool


def _locale_rows(article: Article) -> list[LocaleRow]:
    """The site's languages, then any other the article is written in; the source first."""
    translations = _translations(article)
    source = translations.get(article.source_locale)
    codes = [code for code, _name in LANGUAGE_CHOICES]
    codes += sorted(code for code in translations if code not in codes)
    codes.sort(key=lambda code: code != article.source_locale)
    return [
        LocaleRow(
            code,
            _locale_name(code),
            translations.get(code),
            code in translations and is_outdated(translations[code], source),
            code == article.source_locale,
        )
        for code in codes
    ]


@dataclass(frozen=True)
class FileRow:
    file: ArticleFile
    url: str
    snippet: str
    kind: str


def _file_rows(article: Article) -> list[FileRow]:
    rows = []
    for file in article.files.order_by("name"):
        url = file_url(file)
        label = file.name.replace("[", "").replace("]", "")
        if file.content_type.startswith("image/"):
            rows.append(FileRow(file, url, f"![{label}]({url})", _("Image")))
        elif file.content_type.startswith("video/"):
            # A link alone on its line becomes a player.
            rows.append(FileRow(file, url, f"[{label}]({url})", _("Video")))
        else:
            rows.append(FileRow(file, url, f"[{label}]({url})", _("Attachment")))
    return rows


def _article_page(
    request: HtmxHttpRequest,
    user: User,
    article: Article,
    *,
    settings_form: ArticleSettingsForm | None = None,
    file_form: FileUploadForm | None = None,
    status: int = 200,
) -> HttpResponse:
    locale = user.language or settings.LANGUAGE_CODE
    settings_form = settings_form or ArticleSettingsForm(
        article=article, sections=list(section_list(user=user)), locale=locale
    )
    can_edit = user.role in EDITOR_ROLES
    if not can_edit:
        settings_form.make_read_only()
    shown = best_translation(article, locale, published_only=False)
    context = {
        "article": article,
        "title": shown.title if shown else "",
        "category_name": localised(article.section.category.names, locale, article.section.category.slug),
        "section_name": localised(article.section.names, locale, article.section.slug),
        "locales": _locale_rows(article),
        "files": _file_rows(article),
        "settings_form": settings_form,
        "file_form": file_form or FileUploadForm(),
        "new_translation_form": NewTranslationForm(),
        "can_edit": can_edit,
        "can_manage": user.role in MANAGER_ROLES,
        "section": "articles",
    }
    return render(request, "kb/article.html", context, status=status)


@require_http_methods(["GET", "POST"])
@agent_view
def article_detail(request: HtmxHttpRequest, article_id: int) -> HttpResponse:
    """The article's languages with their status, where it is shown and to whom, its files.
    POST: its section, visibility and order."""
    user = require_agent(request.user)
    article = access_editor_article(user, article_id)
    if request.method != "POST":
        return _article_page(request, user, article)
    sections = list(section_list(user=user))
    form = ArticleSettingsForm(request.POST, article=article, sections=sections, locale=user.language)
    if form.is_valid():
        with form.service_errors():
            services.article_update(actor=user, article=article, **form.article_arguments())
            messages.success(request, _("The article's settings are saved."))
            return redirect("kb:article", article.pk)
    return _article_page(request, user, article, settings_form=form, status=form.error_status)


@require_GET
@agent_view
def translation_new(request: HtmxHttpRequest, article_id: int) -> HttpResponse:
    """The "add a language" form: to the editor of that language (it is saved from there)."""
    user = require_agent(request.user)
    require_role(user, EDITOR_ROLES, _("write articles"))
    article = access_editor_article(user, article_id)
    form = NewTranslationForm(request.GET)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for error in form.errors.get("locale", [])))
        return redirect("kb:article", article.pk)
    return redirect("kb:translation_edit", article.pk, form.cleaned_data["locale"])


@require_http_methods(["GET", "POST"])
@agent_view
def article_delete(request: HtmxHttpRequest, article_id: int) -> HttpResponse:
    user = require_agent(request.user)
    require_role(user, EDITOR_ROLES, _("delete articles"))
    article = access_editor_article(user, article_id)
    shown = best_translation(article, user.language, published_only=False)
    name = shown.title if shown else str(article.pk)
    return confirm_delete(
        request,
        nav="kb/_nav.html",
        delete=lambda: services.article_delete(actor=user, article=article),
        title=_("Delete the article “%(name)s”?") % {"name": name},
        explanation=_("Every language of it, its history and its files are deleted; its links stop working."),
        deleted=_("The article “%(name)s” is deleted.") % {"name": name},
        cancel=reverse("kb:article", args=[article.pk]),
        done=reverse("kb:articles"),
        section="articles",
    )


@require_POST
@agent_view
def file_upload(request: HtmxHttpRequest, article_id: int) -> HttpResponse:
    user = require_agent(request.user)
    article = access_editor_article(user, article_id)
    form = FileUploadForm(request.POST, request.FILES)
    if form.is_valid():
        with form.service_errors():
            file = services.article_file_add(actor=user, article=article, upload=form.uploaded(), now=timezone.now())
            messages.success(
                request,
                _("%(name)s is uploaded. Paste its Markdown from the list of files into the article.")
                % {"name": file.name},
            )
            return redirect(reverse("kb:article", args=[article.pk]) + "#files")
    return _article_page(request, user, article, file_form=form, status=form.error_status)


@require_POST
@agent_view
def file_delete(request: HtmxHttpRequest, article_id: int, file_id: int) -> HttpResponse:
    user = require_agent(request.user)
    file = access_editor_file(user, article_id, file_id)
    services.article_file_delete(actor=user, file=file)
    messages.success(request, _("%(name)s is removed.") % {"name": file.name})
    return redirect(reverse("kb:article", args=[article_id]) + "#files")


# --- a translation: edit, status, versions ------------------------------------------------------------


def _status_buttons(user: User, translation: Translation | None) -> list[tuple[str, str]]:
    """The workflow's next steps from the translation's status that the user's role may take."""
    if translation is None:
        return []
    labels = _status_actions()
    return [
        (status, labels[status])
        for (old, status), roles in services.TRANSITIONS.items()
        if old == translation.status and user.role in roles
    ]


@require_http_methods(["GET", "POST"])
@agent_view
def translation_edit(request: HtmxHttpRequest, article_id: int, locale: str) -> HttpResponse:
    """The article in one language: title, Markdown and a live preview; a language it does not
    have yet starts from the source text, shown beside it. Light agents read it."""
    user = require_agent(request.user)
    locale = _checked_locale(locale)
    article = access_editor_article(user, article_id)
    translations = _translations(article)
    translation = translations.get(locale)
    source = translations.get(article.source_locale)
    can_edit = user.role in EDITOR_ROLES
    if translation is None:
        require_role(user, EDITOR_ROLES, _("write articles"))
    start = translation or source
    initial = {"title": start.title, "body": start.body} if start else {}
    form = TranslationForm(request.POST or None, initial=initial)
    if not can_edit:
        form.make_read_only()
    if form.is_bound and form.is_valid():
        with form.service_errors():
            saved = services.translation_save(
                actor=user, article=article, locale=locale, now=timezone.now(), **form.translation_arguments()
            )
            if translation is not None and saved.version == translation.version:
                messages.info(request, _("Nothing changed: no new version."))
            else:
                messages.success(request, _("Saved as version %(number)s.") % {"number": saved.version})
            return redirect("kb:translation_edit", article.pk, locale)
    body = form["body"].value() or ""
    context = {
        "article": article,
        "locale": locale,
        "locale_name": _locale_name(locale),
        "translation": translation,
        "source": source if source is not None and source.locale != locale else None,
        "source_name": _locale_name(article.source_locale),
        "outdated": translation is not None and is_outdated(translation, source),
        "form": form,
        "preview": render_markdown(body, files=file_names(article.files.all())).html,
        "status_buttons": _status_buttons(user, translation) if can_edit else [],
        "can_edit": can_edit,
        "section": "articles",
    }
    return render(request, "kb/translation_edit.html", context, status=form.error_status if form.errors else 200)


@require_POST
@agent_view
def preview(request: HtmxHttpRequest, article_id: int | None = None) -> HttpResponse:
    """The Markdown being written, rendered as readers will see it (sanitised)."""
    user = require_agent(request.user)
    files = file_names(access_editor_article(user, article_id).files.all()) if article_id is not None else {}
    form = PreviewForm(request.POST)
    body = form.cleaned_data["body"] if form.is_valid() else ""
    return render(request, "kb/_preview.html", {"preview": render_markdown(body, files=files).html})


@require_POST
@agent_view
def translation_status(request: HtmxHttpRequest, article_id: int, locale: str) -> HttpResponse:
    """Send to review, publish, archive, back to draft: the service checks the role."""
    user = require_agent(request.user)
    translation = access_translation(user, article_id, _checked_locale(locale))
    status = request.POST.get("status", "")
    try:
        changed = services.translation_set_status(
            actor=user, translation=translation, status=status, now=timezone.now()
        )
    except PermissionDenied:
        raise
    except FrontdeskError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The %(language)s text is now: %(status)s.")
            % {
                "language": _locale_name(changed.locale),
                "status": ArticleStatus(changed.status).label,
            },
        )
    if request.POST.get("next") == "article":
        return redirect("kb:article", article_id)
    return redirect("kb:translation_edit", article_id, locale)


@require_GET
@agent_view
def translation_versions_page(request: HtmxHttpRequest, article_id: int, locale: str) -> HttpResponse:
    """The history of one language, newest first, with the diff between any two versions
    (?a=…&b=…; by default the latest against the one before it)."""
    user = require_agent(request.user)
    translation = access_translation(user, article_id, _checked_locale(locale))
    versions = translation_versions(user=user, translation=translation)
    picked = VersionPickForm(request.GET)
    picked.is_valid()
    latest = versions[0].number if versions else 1
    b = picked.cleaned_data.get("b") or latest
    a = picked.cleaned_data.get("a") or max(1, b - 1)
    diff, error, status = [], "", 200
    if a != b:
        try:
            diff = version_diff(user=user, translation=translation, a=a, b=b)
        except FrontdeskError as failure:
            error, status = failure.message, failure.status
    context = {
        "article": translation.article,
        "translation": translation,
        "locale_name": _locale_name(translation.locale),
        "versions": versions,
        "a": a,
        "b": b,
        "diff": diff,
        "diff_error": error,
        "can_edit": user.role in EDITOR_ROLES,
        "section": "articles",
    }
    return render(request, "kb/versions.html", context, status=status)


@require_POST
@agent_view
def translation_restore(request: HtmxHttpRequest, article_id: int, locale: str, number: int) -> HttpResponse:
    user = require_agent(request.user)
    translation = access_translation(user, article_id, _checked_locale(locale))
    try:
        restored = services.translation_restore(actor=user, translation=translation, number=number, now=timezone.now())
    except PermissionDenied:
        raise
    except FrontdeskError as error:
        messages.error(request, error.message)
        return redirect("kb:translation_versions", article_id, locale)
    messages.success(
        request,
        _("Version %(old)s is restored as version %(new)s.") % {"old": number, "new": restored.version},
    )
    return redirect("kb:translation_versions", article_id, locale)


# --- categories and sections -----------------------------------------------------------------------------


@require_GET
@agent_view
def categories(request: HtmxHttpRequest) -> HttpResponse:
    """Categories with their sections and how many articles each holds."""
    user = require_agent(request.user)
    locale = user.language or settings.LANGUAGE_CODE
    rows = [
        (
            category,
            localised(category.names, locale, category.slug),
            [(section, localised(section.names, locale, section.slug)) for section in category.sections.all()],
        )
        for category in category_list(user=user)
    ]
    context = {"rows": rows, "can_manage": user.role in MANAGER_ROLES, "section": "categories"}
    return render(request, "kb/categories.html", context)


def _manager(request: HtmxHttpRequest, what: str) -> User:
    user = require_agent(request.user)
    require_role(user, MANAGER_ROLES, what)
    return user


@require_http_methods(["GET", "POST"])
@agent_view
def category_form(request: HtmxHttpRequest, category_id: int | None = None) -> HttpResponse:
    user = _manager(request, _("change the help centre's categories"))
    category = access_category(user, category_id) if category_id is not None else None
    form = CategoryForm(request.POST or None, category=category)
    if form.is_bound and form.is_valid():
        with form.service_errors():
            saved = services.category_save(actor=user, category=category, **form.category_arguments())
            messages.success(request, _("The category %(slug)s is saved.") % {"slug": saved.slug})
            return redirect("kb:categories")
    context = {"form": form, "category": category, "section": "categories"}
    return render(request, "kb/category_form.html", context, status=form.error_status if form.errors else 200)


@require_http_methods(["GET", "POST"])
@agent_view
def category_delete(request: HtmxHttpRequest, category_id: int) -> HttpResponse:
    user = _manager(request, _("change the help centre's categories"))
    category = access_category(user, category_id)
    return confirm_delete(
        request,
        nav="kb/_nav.html",
        delete=lambda: services.category_delete(actor=user, category=category),
        title=_("Delete the category %(slug)s?") % {"slug": category.slug},
        explanation=_("Its sections are deleted with it. A category that still holds articles is kept."),
        deleted=_("The category %(slug)s is deleted.") % {"slug": category.slug},
        cancel=reverse("kb:category_edit", args=[category.pk]),
        done=reverse("kb:categories"),
        section="categories",
    )


@require_http_methods(["GET", "POST"])
@agent_view
def section_form(request: HtmxHttpRequest, section_id: int | None = None) -> HttpResponse:
    user = _manager(request, _("change the help centre's sections"))
    section = access_section(user, section_id) if section_id is not None else None
    all_categories = list(category_list(user=user))
    if not all_categories:
        messages.error(request, _("Create a category first: sections belong to one."))
        return redirect("kb:categories")
    category_id = request.GET.get("category", "")
    form = SectionForm(
        request.POST or None,
        section=section,
        categories=all_categories,
        locale=user.language,
        category_id=int(category_id) if category_id.isdigit() else None,
    )
    if form.is_bound and form.is_valid():
        with form.service_errors():
            saved = services.section_save(actor=user, section=section, **form.section_arguments())
            messages.success(request, _("The section %(slug)s is saved.") % {"slug": saved.slug})
            return redirect("kb:categories")
    context = {"form": form, "section_object": section, "section": "categories"}
    return render(request, "kb/section_form.html", context, status=form.error_status if form.errors else 200)


@require_http_methods(["GET", "POST"])
@agent_view
def section_delete(request: HtmxHttpRequest, section_id: int) -> HttpResponse:
    user = _manager(request, _("change the help centre's sections"))
    section = access_section(user, section_id)
    return confirm_delete(
        request,
        nav="kb/_nav.html",
        delete=lambda: services.section_delete(actor=user, section=section),
        title=_("Delete the section %(slug)s?") % {"slug": section.slug},
        explanation=_("A section that still holds articles is kept."),
        deleted=_("The section %(slug)s is deleted.") % {"slug": section.slug},
        cancel=reverse("kb:section_edit", args=[section.pk]),
        done=reverse("kb:categories"),
        section="categories",
    )


# --- the help centre's look -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@agent_view
def look(request: HtmxHttpRequest) -> HttpResponse:
    """The help centre's name, logo and colours."""
    user = _manager(request, _("change the help centre's look"))
    centre = services.help_centre()
    initial = {"name": centre.name, "primary_colour": centre.primary_colour, "accent_colour": centre.accent_colour}
    form = HelpCentreForm(request.POST or None, request.FILES or None, initial=initial)
    if form.is_bound and form.is_valid():
        with form.service_errors():
            services.help_centre_update(actor=user, now=timezone.now(), **form.look_arguments())
            messages.success(request, _("The help centre's look is saved."))
            return redirect("kb:look")
    context = {"form": form, "centre": centre, "section": "look"}
    return render(request, "kb/look.html", context, status=form.error_status if form.errors else 200)


# --- changelog ------------------------------------------------------------------------------------------------


@require_GET
@agent_view
def changelog(request: HtmxHttpRequest) -> HttpResponse:
    """Release notes, newest first, and how many confirmed subscribers each language has."""
    user = require_agent(request.user)
    subscribers = changelog_subscriber_counts(user=user)
    context = {
        "entries": list(changelog_list(user=user)[:200]),
        "subscribers": sorted((_locale_name(code), count) for code, count in subscribers.items()),
        "subscriber_total": sum(subscribers.values()),
        "can_manage": user.role in MANAGER_ROLES,
        "section": "changelog",
    }
    return render(request, "kb/changelog.html", context)


@require_http_methods(["GET", "POST"])
@agent_view
def changelog_form(request: HtmxHttpRequest, entry_id: int | None = None) -> HttpResponse:
    user = _manager(request, _("write release notes"))
    entry = access_changelog_entry(user, entry_id) if entry_id is not None else None
    form = ChangelogForm(request.POST or None, entry=entry, today=timezone.localdate(), locale=user.language)
    if form.is_bound and form.is_valid():
        with form.service_errors():
            saved = services.changelog_save(actor=user, entry=entry, now=timezone.now(), **form.changelog_arguments())
            messages.success(request, _("The release note “%(title)s” is saved.") % {"title": saved.title})
            return redirect("kb:changelog")
    context = {"form": form, "entry": entry, "section": "changelog"}
    return render(request, "kb/changelog_form.html", context, status=form.error_status if form.errors else 200)


@require_http_methods(["GET", "POST"])
@agent_view
def changelog_delete(request: HtmxHttpRequest, entry_id: int) -> HttpResponse:
    user = _manager(request, _("delete release notes"))
    entry = access_changelog_entry(user, entry_id)
    return confirm_delete(
        request,
        nav="kb/_nav.html",
        delete=lambda: services.changelog_delete(actor=user, entry=entry),
        title=_("Delete the release note “%(title)s”?") % {"title": entry.title},
        explanation=_("It disappears from the help centre and its feed."),
        deleted=_("The release note “%(title)s” is deleted.") % {"title": entry.title},
        cancel=reverse("kb:changelog_edit", args=[entry.pk]),
        done=reverse("kb:changelog"),
        section="changelog",
    )


# --- reports ----------------------------------------------------------------------------------------------------


@require_GET
@agent_view
def reports(request: HtmxHttpRequest) -> HttpResponse:
    """Usefulness per article and overall, search analytics, and the portal's deflection."""
    user = require_agent(request.user)
    form = ReportPeriodForm(request.GET, today=timezone.localdate())
    context: dict[str, Any] = {"form": form, "section": "reports"}
    if not form.is_valid():
        return render(request, "kb/reports.html", context, status=422)
    start, end = form.bounds()
    votes = usefulness(user=user, start=start, end=end)
    context.update(
        usefulness=votes,
        unhelpful=votes.votes - votes.helpful,
        searches=search_analytics(user=user, start=start, end=end),
        deflection=deflection_summary(user=user, start=start, end=end),
    )
    return render(request, "kb/reports.html", context)


# --- the ticket page: search for an article to link, suggested articles ----------------------------------


@dataclass(frozen=True)
class LinkHit:
    hit: Hit
    internal: bool
    link_locale: str
    link_title: str
    url: str

    @property
    def insert(self) -> str:
        return f"{self.link_title}: {self.url}"


def _customer_locale(ticket: Ticket) -> str:
    """The language the customer reads: the ticket's, else the requester's ("" when unknown)."""
    return ticket.language or ticket.requester.language or ""


def _link_hits(hits: Sequence[Hit], locale: str) -> list[LinkHit]:
    """Each hit with the address to send the customer: its translation in their language when it
    is published, else the source's, else the one found."""
    found = link_translations(article_ids=[hit.article_id for hit in hits])
    rows = []
    for hit in hits:
        article = found.get(hit.article_id)
        if article is None:
            continue
        target = best_translation(article, locale or article.source_locale)
        title, link_locale, slug = (
            (target.title, target.locale, target.slug) if target else (hit.title, hit.locale, hit.url_slug)
        )
        rows.append(
            LinkHit(
                hit,
                article.visibility == Visibility.INTERNAL,
                link_locale,
                title,
                f"{settings.BASE_URL}{article_url(link_locale, article.pk, slug)}",
            )
        )
    return rows


def _ticket(request: HtmxHttpRequest, ticket_id: int) -> tuple[User, Ticket]:
    user = require_agent(request.user)
    return user, access_ticket(user, ticket_id)


@require_GET
@agent_view
def ticket_article_search(request: HtmxHttpRequest, ticket_id: int) -> HttpResponse:
    """The reply box's "Insert article": published articles for ?q=, each with the link to insert
    in the customer's language.

    The agent types in their own language or in the customer's: the search runs in the agent's
    (whose words it stems), then, when the customer reads another, in theirs for what it adds."""
    _user, ticket = _ticket(request, ticket_id)
    query = request.GET.get("q", "").strip()[:200]
    context: dict[str, Any] = {"ticket": ticket, "query": query, "hits": [], "search_id": None, "kind": "search"}
    if query:
        customer = _customer_locale(ticket)
        agent = get_language() or settings.LANGUAGE_CODE
        locales = dict.fromkeys([agent, customer or agent])  # each once, the agent's first
        results = [search(query=query, locale=locale, visibilities=AGENTS, limit=HITS) for locale in locales]
        hits: dict[int, Hit] = {}
        for result in results:
            for hit in result.hits:
                hits.setdefault(hit.article_id, hit)
        logged = search_log(
            query=query,
            locale=agent,
            source=SearchSource.AGENT,
            results=max(result.total for result in results),
            now=timezone.now(),
        )
        context.update(
            hits=_link_hits(list(hits.values())[:HITS], customer),
            search_id=logged.pk,
            corrections=results[0].corrections,
        )
    return render(request, "kb/_article_hits.html", context)


@require_GET
@agent_view
def ticket_suggestions(request: HtmxHttpRequest, ticket_id: int) -> HttpResponse:
    """Articles for the ticket's subject and first customer message (the ticket page loads it afterwards)."""
    user, ticket = _ticket(request, ticket_id)
    locale = _customer_locale(ticket)
    hits = suggest(
        text=ticket_question(user=user, ticket=ticket),
        locale=locale or get_language() or settings.LANGUAGE_CODE,
        visibilities=AGENTS,
        limit=SUGGESTIONS,
    )
    context = {"ticket": ticket, "hits": _link_hits(hits, locale), "search_id": None, "kind": "suggestions"}
    return render(request, "kb/_article_hits.html", context)


@require_POST
@agent_view
def search_clicked(request: HtmxHttpRequest, search_id: int) -> HttpResponse:
    """An agent inserted a result of their search (click-through of the analytics)."""
    require_agent(request.user)
    translation = request.POST.get("translation", "")
    if translation.isdigit():
        search_click(search_id=search_id, translation_id=int(translation))
    return HttpResponse(status=204)
