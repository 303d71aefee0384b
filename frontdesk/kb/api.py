"""REST endpoints of the knowledge base: categories, sections, articles and translations,
versions, files, search and its analytics, the help centre's look, the changelog — and the
public help centre's reads, which need no authentication.

Thin: parse → access → one service or selector → schema. Agents (API token or workspace
session) read everything, internal articles and drafts too; agents, supervisors and admins write
articles; publishing, categories, sections, the look and the changelog are for supervisors and
admins; light agents read only (the services check the roles).

The `/help-centre/…` endpoints are what the help centre shows: to anyone, public published
articles only; to a customer signed in to the portal (its session cookie), customers-only ones
too. Never an internal article or a draft: those answer 404, like an article that does not exist.
"""

import contextlib
from typing import TypeVar

from django.conf import settings
from django.core import signing
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Query, Router, UploadedFile
from ninja.responses import Status as WithStatus
from ninja.utils import check_csrf

from frontdesk.accounts.models import User
from frontdesk.api.auth import request_agent
from frontdesk.api.pagination import Page, paginate
from frontdesk.api.schemas import ERRORS
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationError
from frontdesk.core.services import UNSET
from frontdesk.kb import search as kb_search
from frontdesk.kb import services
from frontdesk.kb.markdown import file_names, render
from frontdesk.kb.models import (
    Article,
    ArticleFile,
    Category,
    ChangelogEntry,
    HelpCentre,
    Search,
    SearchSource,
    Section,
    Translation,
    Version,
)
from frontdesk.kb.schemas import (
    AcceptedOut,
    ArticleFileOut,
    ArticleIn,
    ArticleOut,
    ArticlePage,
    ArticlePatch,
    ArticleQuery,
    CategoryIn,
    CategoryOut,
    ChangelogIn,
    ChangelogOut,
    ChangelogPage,
    ChangelogQuery,
    ClickIn,
    DeflectionOut,
    DiffOut,
    DiffQuery,
    HelpCentreOut,
    HelpCentrePatch,
    HitOut,
    PreviewIn,
    PreviewOut,
    PublicArticleItemOut,
    PublicArticleOut,
    PublicArticleQuery,
    PublicCategoryOut,
    PublicChangelogPage,
    PublicChangelogQuery,
    PublicQuery,
    PublicSearchOut,
    PublicSearchQuery,
    ReadArticle,
    SearchOut,
    SearchQuery,
    SearchReportOut,
    SectionIn,
    SectionOut,
    SectionQuery,
    StatusIn,
    SubscribersOut,
    SubscriptionIn,
    SuggestIn,
    TokenIn,
    TranslationIn,
    TranslationOut,
    UsefulnessOut,
    VersionDetailOut,
    VersionOut,
    VoteIn,
    VoteOut,
)
from frontdesk.kb.selectors import (
    AGENTS,
    CUSTOMERS,
    EVERYONE,
    ArticleItem,
    EditorRow,
    Reader,
    access_article,
    access_category,
    access_changelog_entry,
    access_editor_article,
    access_editor_file,
    access_section,
    access_translation,
    access_version,
    category_list,
    category_tree,
    changelog_list,
    changelog_subscriber_counts,
    editor_articles,
    published_changelog,
    search_analytics,
    section_articles,
    section_list,
    translation_versions,
    usefulness,
    version_diff,
    visibilities_for,
)
from frontdesk.portal.auth import signed_in_contact
from frontdesk.portal.selectors import deflection_summary
from frontdesk.reports.schemas import PeriodQuery

router = Router(tags=["knowledge base"])

NO_CONTENT = {204: None, **ERRORS}
PUBLIC = ["help centre"]
AUDIENCES = {"agents": AGENTS, "customers": CUSTOMERS, "everyone": EVERYONE}
_search_signer = signing.Signer(salt="frontdesk.kb.api.search")
M = TypeVar("M", bound=Model)


def _language(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def _locale(value: str, default: str) -> str:
    return services.normalise_locale(value) if value.strip() else default


def _named(model: type[M], pk: int, field: str) -> M:
    """A category or section named in a request's body: an unknown one is the body's mistake (422)."""
    found = model._default_manager.filter(pk=pk).first()
    if found is None:
        raise ValidationError(_("There is no %(field)s with id %(id)s.") % {"field": field, "id": pk}, field=field)
    return found


# --- categories and sections -------------------------------------------------------------


@router.get("/kb/categories", response={200: list[CategoryOut], **ERRORS}, summary="List help-centre categories")
def list_kb_categories(request: HttpRequest) -> list[Category]:
    """In the help centre's order, each with its sections."""
    return list(category_list(user=request_agent(request)))


@router.post(
    "/kb/categories", response={201: CategoryOut, **ERRORS}, summary="Create a category (supervisors and admins)"
)
def create_kb_category(request: HttpRequest, payload: CategoryIn) -> WithStatus[Category]:
    user = request_agent(request)
    category = services.category_save(actor=user, **payload.model_dump())
    return WithStatus(201, access_category(user, category.pk))


@router.get("/kb/categories/{category_id}", response={200: CategoryOut, **ERRORS}, summary="Read a category")
def get_kb_category(request: HttpRequest, category_id: int) -> Category:
    return access_category(request_agent(request), category_id)


@router.put(
    "/kb/categories/{category_id}",
    response={200: CategoryOut, **ERRORS},
    summary="Change a category (supervisors and admins)",
)
def update_kb_category(request: HttpRequest, category_id: int, payload: CategoryIn) -> Category:
    """Slug, names, descriptions and order, all of them."""
    user = request_agent(request)
    category = access_category(user, category_id)
    services.category_save(actor=user, category=category, **payload.model_dump())
    return access_category(user, category_id)


@router.delete(
    "/kb/categories/{category_id}", response=NO_CONTENT, summary="Delete a category (supervisors and admins)"
)
def delete_kb_category(request: HttpRequest, category_id: int) -> WithStatus[None]:
    """With its sections; 409 while it holds articles."""
    user = request_agent(request)
    services.category_delete(actor=user, category=access_category(user, category_id))
    return WithStatus(204, None)


@router.get("/kb/sections", response={200: list[SectionOut], **ERRORS}, summary="List help-centre sections")
def list_kb_sections(request: HttpRequest, query: Query[SectionQuery]) -> list[Section]:
    """By category, then in order; `category` keeps one category's."""
    return list(section_list(user=request_agent(request), category_id=query.category))


@router.post("/kb/sections", response={201: SectionOut, **ERRORS}, summary="Create a section (supervisors and admins)")
def create_kb_section(request: HttpRequest, payload: SectionIn) -> WithStatus[Section]:
    user = request_agent(request)
    category = _named(Category, payload.category, "category")
    section = services.section_save(actor=user, category=category, **payload.model_dump(exclude={"category"}))
    return WithStatus(201, access_section(user, section.pk))


@router.get("/kb/sections/{section_id}", response={200: SectionOut, **ERRORS}, summary="Read a section")
def get_kb_section(request: HttpRequest, section_id: int) -> Section:
    return access_section(request_agent(request), section_id)


@router.put(
    "/kb/sections/{section_id}",
    response={200: SectionOut, **ERRORS},
    summary="Change a section (supervisors and admins)",
)
def update_kb_section(request: HttpRequest, section_id: int, payload: SectionIn) -> Section:
    """Its category, slug, names and order, all of them."""
    user = request_agent(request)
    section = access_section(user, section_id)
    category = _named(Category, payload.category, "category")
    services.section_save(actor=user, section=section, category=category, **payload.model_dump(exclude={"category"}))
    return access_section(user, section_id)


@router.delete("/kb/sections/{section_id}", response=NO_CONTENT, summary="Delete a section (supervisors and admins)")
def delete_kb_section(request: HttpRequest, section_id: int) -> WithStatus[None]:
    """409 while it holds articles."""
    user = request_agent(request)
    services.section_delete(actor=user, section=access_section(user, section_id))
    return WithStatus(204, None)


# --- articles ----------------------------------------------------------------------------


@router.get("/kb/articles", response={200: ArticlePage, **ERRORS}, summary="List articles (the editor's list)")
def list_kb_articles(request: HttpRequest, query: Query[ArticleQuery]) -> Page[EditorRow]:
    """Most recently changed first, each with its languages' status and outdated flags, a page
    at a time. Filters: `locale`, `status` (both: that translation has that status), `outdated`,
    `q` (words of a title)."""
    return editor_articles(
        user=request_agent(request),
        locale=query.locale.strip().lower(),
        status=query.status or "",
        outdated=query.outdated,
        q=query.q,
        cursor=query.cursor,
        size=query.limit,
    )


@router.post(
    "/kb/articles", response={201: ArticleOut, **ERRORS}, summary="Write an article (agents, supervisors, admins)"
)
def create_kb_article(request: HttpRequest, payload: ArticleIn) -> WithStatus[Article]:
    """Its first language is its source; it starts as a draft at version 1."""
    user = request_agent(request)
    section = _named(Section, payload.section, "section")
    translation = services.article_create(
        actor=user, section=section, **payload.model_dump(exclude={"section"}), now=timezone.now()
    )
    return WithStatus(201, access_editor_article(user, translation.article_id))


@router.get("/kb/articles/{article_id}", response={200: ArticleOut, **ERRORS}, summary="Read an article")
def get_kb_article(request: HttpRequest, article_id: int) -> Article:
    """Its section, visibility and languages, each with its status and whether it is outdated."""
    return access_editor_article(request_agent(request), article_id)


@router.patch(
    "/kb/articles/{article_id}",
    response={200: ArticleOut, **ERRORS},
    summary="Move an article, reorder it, or change who may read it",
)
def update_kb_article(request: HttpRequest, article_id: int, payload: ArticlePatch) -> Article:
    """Fields left out (or null) stay. A published article's visibility is for supervisors and admins."""
    user = request_agent(request)
    article = access_editor_article(user, article_id)
    services.article_update(
        actor=user,
        article=article,
        section=UNSET if payload.section is None else _named(Section, payload.section, "section"),
        visibility=UNSET if payload.visibility is None else payload.visibility,
        position=UNSET if payload.position is None else payload.position,
    )
    return access_editor_article(user, article_id)


@router.delete("/kb/articles/{article_id}", response=NO_CONTENT, summary="Delete an article in every language")
def delete_kb_article(request: HttpRequest, article_id: int) -> WithStatus[None]:
    """With its history and files. One published in some language: supervisors and admins only."""
    user = request_agent(request)
    services.article_delete(actor=user, article=access_editor_article(user, article_id))
    return WithStatus(204, None)


# --- translations and their versions -------------------------------------------------------


@router.get(
    "/kb/articles/{article_id}/translations/{locale}",
    response={200: TranslationOut, **ERRORS},
    summary="Read an article in one language",
)
def get_kb_translation(request: HttpRequest, article_id: int, locale: str) -> Translation:
    return access_translation(request_agent(request), article_id, locale)


@router.put(
    "/kb/articles/{article_id}/translations/{locale}",
    response={200: TranslationOut, 201: TranslationOut, **ERRORS},
    summary="Write an article in one language (agents, supervisors, admins)",
)
def save_kb_translation(
    request: HttpRequest, article_id: int, locale: str, payload: TranslationIn
) -> WithStatus[Translation]:
    """Creates the language (201, a draft) or edits it (200): each change is a new version.
    Saving the source makes the other languages outdated; saving another language brings it up
    to date with the source."""
    user = request_agent(request)
    article = access_editor_article(user, article_id)
    locale = services.normalise_locale(locale)
    existed = any(t.locale == locale for t in article.translations.all())
    saved = services.translation_save(
        actor=user, article=article, locale=locale, **payload.model_dump(), now=timezone.now()
    )
    return WithStatus(200 if existed else 201, access_translation(user, article_id, saved.locale))


@router.post(
    "/kb/articles/{article_id}/translations/{locale}/status",
    response={200: TranslationOut, **ERRORS},
    summary="Move a translation through the workflow",
)
def set_kb_translation_status(request: HttpRequest, article_id: int, locale: str, payload: StatusIn) -> Translation:
    """draft ⇄ review: any editor. Publish, archive, back to draft: supervisors and admins. A
    step the workflow does not have answers 409."""
    user = request_agent(request)
    translation = access_translation(user, article_id, locale)
    services.translation_set_status(actor=user, translation=translation, status=payload.status, now=timezone.now())
    return access_translation(user, article_id, locale)


@router.get(
    "/kb/articles/{article_id}/translations/{locale}/versions",
    response={200: list[VersionOut], **ERRORS},
    summary="A translation's history",
)
def list_kb_versions(request: HttpRequest, article_id: int, locale: str) -> list[Version]:
    """Newest first."""
    user = request_agent(request)
    return translation_versions(user=user, translation=access_translation(user, article_id, locale))


# Declared before /versions/{number}.
@router.get(
    "/kb/articles/{article_id}/translations/{locale}/versions/diff",
    response={200: DiffOut, **ERRORS},
    summary="What changed between two versions",
)
def diff_kb_versions(request: HttpRequest, article_id: int, locale: str, query: Query[DiffQuery]) -> dict[str, object]:
    user = request_agent(request)
    translation = access_translation(user, article_id, locale)
    return {"a": query.a, "b": query.b, "lines": version_diff(user=user, translation=translation, a=query.a, b=query.b)}


@router.get(
    "/kb/articles/{article_id}/translations/{locale}/versions/{number}",
    response={200: VersionDetailOut, **ERRORS},
    summary="A version of a translation",
)
def get_kb_version(request: HttpRequest, article_id: int, locale: str, number: int) -> Version:
    user = request_agent(request)
    return access_version(user, access_translation(user, article_id, locale), number)


@router.post(
    "/kb/articles/{article_id}/translations/{locale}/versions/{number}/restore",
    response={200: TranslationOut, **ERRORS},
    summary="Restore a version (agents, supervisors, admins)",
)
def restore_kb_version(request: HttpRequest, article_id: int, locale: str, number: int) -> Translation:
    """Its title and text are saved again as a new version: history is never rewritten."""
    user = request_agent(request)
    translation = access_translation(user, article_id, locale)
    services.translation_restore(actor=user, translation=translation, number=number, now=timezone.now())
    return access_translation(user, article_id, locale)


# --- files -------------------------------------------------------------------------------


@router.get(
    "/kb/articles/{article_id}/files", response={200: list[ArticleFileOut], **ERRORS}, summary="An article's files"
)
def list_kb_files(request: HttpRequest, article_id: int) -> list[ArticleFile]:
    """By name, each with the Markdown that shows it."""
    return list(access_editor_article(request_agent(request), article_id).files.order_by("name"))


@router.post(
    "/kb/articles/{article_id}/files",
    response={201: ArticleFileOut, **ERRORS},
    summary="Upload a file to an article (agents, supervisors, admins)",
)
def upload_kb_file(request: HttpRequest, article_id: int, upload: File[UploadedFile]) -> WithStatus[ArticleFile]:
    """multipart/form-data with `upload`: an image (PNG, JPEG, GIF, WebP), a PDF, an office
    document or an MP4/WebM video. Its type is read from its content; a name the article already
    has gets a number."""
    user = request_agent(request)
    article = access_editor_article(user, article_id)
    return WithStatus(201, services.article_file_add(actor=user, article=article, upload=upload, now=timezone.now()))


@router.delete(
    "/kb/articles/{article_id}/files/{file_id}",
    response=NO_CONTENT,
    summary="Remove a file from an article (agents, supervisors, admins)",
)
def delete_kb_file(request: HttpRequest, article_id: int, file_id: int) -> WithStatus[None]:
    user = request_agent(request)
    services.article_file_delete(actor=user, file=access_editor_file(user, article_id, file_id))
    return WithStatus(204, None)


@router.post("/kb/preview", response={200: PreviewOut, **ERRORS}, summary="Render Markdown as readers will see it")
def preview_kb_markdown(request: HttpRequest, payload: PreviewIn) -> dict[str, str]:
    """Sanitised HTML; with `article`, the Markdown may name that article's files."""
    user = request_agent(request)
    files = file_names(access_editor_article(user, payload.article).files.all()) if payload.article else {}
    return {"html": render(payload.body, files=files).html}


# --- search ------------------------------------------------------------------------------


def _logged(query: str, locale: str, results: int) -> Search | None:
    """A search with words in it, recorded for the analytics (top searches, no result, clicks)."""
    if not query.strip():
        return None
    return kb_search.search_log(
        query=query, locale=locale, source=SearchSource.API, results=results, now=timezone.now()
    )


@router.get("/kb/search", response={200: SearchOut, **ERRORS}, summary="Search the knowledge base (agents)")
def search_kb(request: HttpRequest, query: Query[SearchQuery]) -> dict[str, object]:
    """Every visibility, internal too; published translations unless `include_drafts`. The
    language searched first, then articles that exist only in others. Logged for the analytics."""
    user = request_agent(request)
    locale = _locale(query.locale, _language(user))
    result = kb_search.search(
        query=query.q,
        locale=locale,
        visibilities=AGENTS,
        limit=query.limit,
        offset=query.offset,
        published_only=not query.include_drafts,
    )
    logged = _logged(query.q, locale, result.total)
    return {
        "total": result.total,
        "corrections": result.corrections,
        "hits": result.hits,
        "search_id": logged.pk if logged else None,
    }


@router.post(
    "/kb/searches/{search_id}/click",
    response={204: None, **ERRORS},
    summary="Record the result a search led to (click-through)",
)
def click_kb_search(request: HttpRequest, search_id: int, payload: ClickIn) -> WithStatus[None]:
    request_agent(request)
    kb_search.search_click(search_id=search_id, translation_id=payload.translation)
    return WithStatus(204, None)


@router.post("/kb/suggest", response={200: list[HitOut], **ERRORS}, summary="Articles for a text")
def suggest_kb_articles(request: HttpRequest, payload: SuggestIn) -> list[kb_search.Hit]:
    """Published articles for a long text (a ticket's subject and body), searched for its most
    telling words; `audience` limits them to what its readers may read."""
    user = request_agent(request)
    return kb_search.suggest(
        text=payload.text,
        locale=_locale(payload.locale, _language(user)),
        visibilities=AUDIENCES[payload.audience],
        limit=payload.limit,
        exclude_article_ids=payload.exclude,
    )


# --- reports -----------------------------------------------------------------------------


@router.get("/kb/reports/usefulness", response={200: UsefulnessOut, **ERRORS}, summary="Usefulness of the articles")
def kb_usefulness_report(request: HttpRequest, query: Query[PeriodQuery]) -> dict[str, object]:
    """ "Was this helpful?" votes cast in the period: per article (all its languages) and overall."""
    user = request_agent(request)
    period = query.report_period(now=timezone.now(), zone=timezone.get_current_timezone())
    report = usefulness(user=user, start=period.start, end=period.end)
    return {**vars(report), "unhelpful": report.votes - report.helpful, "start": period.start, "end": period.end}


@router.get("/kb/reports/searches", response={200: SearchReportOut, **ERRORS}, summary="Search analytics")
def kb_search_report(request: HttpRequest, query: Query[PeriodQuery]) -> dict[str, object]:
    """Top searches, searches that found nothing, and click-through, in the period."""
    user = request_agent(request)
    period = query.report_period(now=timezone.now(), zone=timezone.get_current_timezone())
    report = search_analytics(user=user, start=period.start, end=period.end)
    return {**vars(report), "start": period.start, "end": period.end}


@router.get("/kb/reports/deflection", response={200: DeflectionOut, **ERRORS}, summary="Portal deflection")
def kb_deflection_report(request: HttpRequest, query: Query[PeriodQuery]) -> dict[str, object]:
    """How often the portal's ticket form answered the question before a ticket was sent."""
    user = request_agent(request)
    period = query.report_period(now=timezone.now(), zone=timezone.get_current_timezone())
    summary = deflection_summary(user=user, start=period.start, end=period.end)
    return {**vars(summary), "rate": summary.rate, "start": period.start, "end": period.end}


# --- the help centre's look --------------------------------------------------------------


@router.get("/kb/help-centre", response={200: HelpCentreOut, **ERRORS}, summary="The help centre's look")
def get_kb_help_centre(request: HttpRequest) -> HelpCentre:
    request_agent(request)
    return services.help_centre()


@router.patch(
    "/kb/help-centre",
    response={200: HelpCentreOut, **ERRORS},
    summary="Change the help centre's name and colours (supervisors and admins)",
)
def update_kb_help_centre(request: HttpRequest, payload: HelpCentrePatch) -> HelpCentre:
    """Fields left out (or null) stay."""
    changes = {name: value for name, value in payload.model_dump().items() if value is not None}
    return services.help_centre_update(actor=request_agent(request), now=timezone.now(), **changes)


@router.post(
    "/kb/help-centre/logo",
    response={200: HelpCentreOut, **ERRORS},
    summary="Upload the help centre's logo (supervisors and admins)",
)
def upload_kb_logo(request: HttpRequest, logo: File[UploadedFile]) -> HelpCentre:
    """multipart/form-data with `logo`: a PNG, JPEG, GIF or WebP image."""
    return services.help_centre_update(actor=request_agent(request), now=timezone.now(), logo=logo)


@router.delete(
    "/kb/help-centre/logo",
    response={200: HelpCentreOut, **ERRORS},
    summary="Remove the help centre's logo (supervisors and admins)",
)
def delete_kb_logo(request: HttpRequest) -> HelpCentre:
    return services.help_centre_update(actor=request_agent(request), now=timezone.now(), logo=None)


# --- the changelog -----------------------------------------------------------------------


@router.get("/kb/changelog", response={200: ChangelogPage, **ERRORS}, summary="List release notes")
def list_kb_changelog(request: HttpRequest, query: Query[ChangelogQuery]) -> Page[ChangelogEntry]:
    """Every release note, drafts too, newest first, a page at a time; `locale` keeps one language's."""
    entries = changelog_list(user=request_agent(request), locale=query.locale.strip().lower())
    return paginate(entries, order="-published_on", cursor=query.cursor, size=query.limit)


@router.post(
    "/kb/changelog",
    response={201: ChangelogOut, **ERRORS},
    summary="Write a release note (supervisors and admins)",
)
def create_kb_changelog_entry(request: HttpRequest, payload: ChangelogIn) -> WithStatus[ChangelogEntry]:
    """Published and dated today or before, it is e-mailed to its language's subscribers once."""
    entry = services.changelog_save(actor=request_agent(request), **payload.model_dump(), now=timezone.now())
    return WithStatus(201, entry)


# Declared before /kb/changelog/{entry_id}.
@router.get(
    "/kb/changelog/subscribers",
    response={200: SubscribersOut, **ERRORS},
    summary="How many confirmed subscribers each language has",
)
def kb_changelog_subscribers(request: HttpRequest) -> dict[str, object]:
    counts = changelog_subscriber_counts(user=request_agent(request))
    return {"total": sum(counts.values()), "by_locale": counts}


@router.get("/kb/changelog/{entry_id}", response={200: ChangelogOut, **ERRORS}, summary="Read a release note")
def get_kb_changelog_entry(request: HttpRequest, entry_id: int) -> ChangelogEntry:
    return access_changelog_entry(request_agent(request), entry_id)


@router.put(
    "/kb/changelog/{entry_id}",
    response={200: ChangelogOut, **ERRORS},
    summary="Change a release note (supervisors and admins)",
)
def update_kb_changelog_entry(request: HttpRequest, entry_id: int, payload: ChangelogIn) -> ChangelogEntry:
    """All of it. An entry that was e-mailed already is not sent again."""
    user = request_agent(request)
    entry = access_changelog_entry(user, entry_id)
    return services.changelog_save(actor=user, entry=entry, **payload.model_dump(), now=timezone.now())


@router.delete(
    "/kb/changelog/{entry_id}", response=NO_CONTENT, summary="Delete a release note (supervisors and admins)"
)
def delete_kb_changelog_entry(request: HttpRequest, entry_id: int) -> WithStatus[None]:
    user = request_agent(request)
    services.changelog_delete(actor=user, entry=access_changelog_entry(user, entry_id))
    return WithStatus(204, None)


# --- the public help centre (no authentication) ----------------------------------------------


def _reader(request: HttpRequest) -> Reader:
    """Anyone; a customer signed in to the portal also reads customers-only articles."""
    return Reader(contact=signed_in_contact(request))


@router.get("/help-centre", auth=None, response={200: HelpCentreOut, **ERRORS}, summary="The help centre", tags=PUBLIC)
def get_help_centre(request: HttpRequest) -> HelpCentre:
    """Its name, colours and logo."""
    return services.help_centre()


@router.get(
    "/help-centre/categories",
    auth=None,
    response={200: list[PublicCategoryOut], **ERRORS},
    summary="The help centre's categories and sections",
    tags=PUBLIC,
)
def list_help_centre_categories(request: HttpRequest, query: Query[PublicQuery]) -> list[object]:
    """Only those with a published article the reader may read, each section with how many."""
    return list(category_tree(reader=_reader(request), locale=_locale(query.locale, settings.LANGUAGE_CODE)))


@router.get(
    "/help-centre/sections/{section_id}/articles",
    auth=None,
    response={200: list[PublicArticleItemOut], **ERRORS},
    summary="A section's articles",
    tags=PUBLIC,
)
def list_help_centre_section_articles(
    request: HttpRequest, section_id: int, query: Query[PublicQuery]
) -> list[ArticleItem]:
    """Published articles the reader may read: those in the reader's language first, then those
    only in others. A section with none is 404."""
    locale = _locale(query.locale, settings.LANGUAGE_CODE)
    items = section_articles(reader=_reader(request), section=section_id, locale=locale)
    if not items:
        raise NotFound(_("Section %(id)s does not exist.") % {"id": section_id})
    return items


@router.get(
    "/help-centre/search",
    auth=None,
    response={200: PublicSearchOut, **ERRORS},
    summary="Search the help centre",
    tags=PUBLIC,
)
def search_help_centre(request: HttpRequest, query: Query[PublicSearchQuery]) -> dict[str, object]:
    """Published articles the reader may read: their language first, then articles only in
    others. Pass the answer's `search` when opening a result, to count the click."""
    locale = _locale(query.locale, settings.LANGUAGE_CODE)
    result = kb_search.search(
        query=query.q,
        locale=locale,
        visibilities=visibilities_for(_reader(request)),
        limit=query.limit,
        offset=query.offset,
    )
    logged = _logged(query.q, locale, result.total)
    return {
        "total": result.total,
        "corrections": result.corrections,
        "hits": result.hits,
        "search": _search_signer.sign(str(logged.pk)) if logged else None,
    }


@router.get(
    "/help-centre/articles/{article_id}",
    auth=None,
    response={200: PublicArticleOut, **ERRORS},
    summary="Read a help-centre article",
    tags=PUBLIC,
)
def get_help_centre_article(request: HttpRequest, article_id: int, query: Query[PublicArticleQuery]) -> ReadArticle:
    """In `locale`, else the article's best language (`in_locale` false). 404 for an article the
    reader may not read or that is not published."""
    locale = _locale(query.locale, settings.LANGUAGE_CODE)
    view = access_article(_reader(request), article_id, locale=locale)
    if query.search:
        with contextlib.suppress(signing.BadSignature, ValueError):  # a reader's page never fails for analytics
            search_id = int(_search_signer.unsign(query.search))
            kb_search.search_click(search_id=search_id, translation_id=view.translation.pk)
    return ReadArticle(view=view, locale=locale)


@router.post(
    "/help-centre/articles/{article_id}/votes",
    auth=None,
    response={200: VoteOut, **ERRORS},
    summary='"Was this helpful?"',
    tags=PUBLIC,
)
def vote_help_centre_article(request: HttpRequest, article_id: int, payload: VoteIn) -> dict[str, object]:
    """One vote per reader, changed by voting again; a new comment replaces the old one. The
    reader is the portal's signed-in customer (send the X-CSRFToken header), else `reader`, an
    opaque id the client keeps for this reader (stored hashed)."""
    contact = signed_in_contact(request)
    if contact is not None and check_csrf(request) is not None:
        raise PermissionDenied(_("The CSRF token is missing or wrong; send it in the X-CSRFToken header."))
    if contact is None and not payload.reader.strip():
        raise ValidationError(_("Send an id for the reader, or sign in to the portal."), field="reader")
    view = access_article(Reader(contact=contact), article_id, locale=_locale(payload.locale, settings.LANGUAGE_CODE))
    vote = services.vote_record(
        translation=view.translation,
        helpful=payload.helpful,
        comment=payload.comment,
        reader=services.vote_reader(contact, f"api:{payload.reader.strip()}"),
        contact=contact,
        now=timezone.now(),
    )
    return {
        "article_id": article_id,
        "locale": view.translation.locale,
        "helpful": vote.helpful,
        "comment": vote.comment,
    }


@router.get(
    "/help-centre/changelog",
    auth=None,
    response={200: PublicChangelogPage, **ERRORS},
    summary="Release notes",
    tags=PUBLIC,
)
def list_help_centre_changelog(request: HttpRequest, query: Query[PublicChangelogQuery]) -> Page[ChangelogEntry]:
    """Published release notes in a language, dated today or before, newest first."""
    entries = published_changelog(locale=_locale(query.locale, settings.LANGUAGE_CODE), today=timezone.localdate())
    return paginate(entries, order="-published_on", cursor=query.cursor, size=query.limit)


@router.post(
    "/help-centre/changelog/subscriptions",
    auth=None,
    response={202: AcceptedOut, **ERRORS},
    summary="Subscribe to release notes by e-mail",
    tags=PUBLIC,
)
def subscribe_help_centre_changelog(request: HttpRequest, payload: SubscriptionIn) -> WithStatus[dict[str, str]]:
    """Double opt-in: the address gets a link to confirm. The answer is the same whether or not
    it is subscribed already."""
    services.subscription_request(email=payload.email, locale=payload.locale, now=timezone.now())
    return WithStatus(
        202, {"detail": _("If the address can receive release notes, a confirmation link is on its way.")}
    )


@router.post(
    "/help-centre/changelog/subscriptions/confirm",
    auth=None,
    response={200: AcceptedOut, **ERRORS},
    summary="Confirm a subscription (the e-mailed link's token)",
    tags=PUBLIC,
)
def confirm_help_centre_subscription(request: HttpRequest, payload: TokenIn) -> dict[str, str]:
    services.subscription_confirm(token=payload.token, now=timezone.now())
    return {"detail": _("The subscription is confirmed.")}


@router.post(
    "/help-centre/changelog/subscriptions/cancel",
    auth=None,
    response={200: AcceptedOut, **ERRORS},
    summary="Unsubscribe (the token of a release note's unsubscribe link)",
    tags=PUBLIC,
)
def cancel_help_centre_subscription(request: HttpRequest, payload: TokenIn) -> dict[str, str]:
    services.subscription_cancel(token=payload.token, now=timezone.now())
    return {"detail": _("You will get no more release notes.")}
