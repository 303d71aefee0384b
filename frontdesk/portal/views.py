"""The help centre (/help/<locale>/…) and the customer portal (/portal/…).

Help centre pages are for everyone, in the language of their URL (any language an article
exists in; the interface falls back to English for languages it does not speak). An
anonymous reader's page is the same for everyone, so it is sent `public, max-age=300` with an
ETag; a signed-in customer (or agent) sees more and gets a private page. Nothing on an
anonymous page carries a CSRF token: the two forms it has (the vote and the changelog
subscription) act on nothing a cookie authorises, so they take none.

Portal pages need a customer signed in by magic link (auth.py): their tickets, the new-ticket
form with its suggestions (KB6), replying. Each view parses, asks a selector, calls one
service, renders.
"""

import functools
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any, Concatenate, ParamSpec
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import feedgenerator, timezone, translation
from django.utils.cache import add_never_cache_headers, get_conditional_response, patch_cache_control, set_response_etag
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from frontdesk.accounts.models import Contact, User
from frontdesk.accounts.selectors import STAFF_ROLES
from frontdesk.core.errors import FrontdeskError, NotFound
from frontdesk.kb import search as kb_search
from frontdesk.kb import selectors as kb_selectors
from frontdesk.kb import services as kb_services
from frontdesk.kb.markdown import article_url
from frontdesk.kb.models import ChangelogEntry, HelpCentre, SearchSource, Visibility
from frontdesk.portal import services
from frontdesk.portal.auth import sign_in, sign_out, signed_in_contact
from frontdesk.portal.forms import ReplyForm, SignInForm, SubscribeForm, TicketForm, VoteForm
from frontdesk.portal.selectors import (
    SCOPES,
    access_customer_attachment,
    access_customer_ticket,
    customer_ticket_messages,
    customer_ticket_page,
    shares_with_organisation,
)

P = ParamSpec("P")
UI_LOCALES = tuple(code for code, _name in settings.LANGUAGES)
HELP_MAX_AGE = 300  # seconds a shared cache may keep an anonymous help-centre page
SEARCH_PAGE_SIZE = 20
TICKETS_PAGE_SIZE = 25
CHANGELOG_SIZE = 50  # release notes on the changelog page and in its feeds
READER_COOKIE = "fd_reader"  # an anonymous reader's vote identity (signed, random)
DEFLECTION_KEY = "portal_deflection_id"  # the ticket form's suggestions, until the ticket is sent
_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
_LOCALE = re.compile(r"^[a-z]{2,3}(?:-[a-zA-Z0-9]{2,8})?$")
_search_signer = signing.Signer(salt="portal.search")


# --- shared -------------------------------------------------------------------------------


def _ui_language(locale: str) -> str:
    """The interface language for a page in `locale`: that one, its base language, or English."""
    for candidate in (locale, locale.split("-")[0]):
        if candidate in UI_LOCALES:
            return candidate
    return settings.LANGUAGE_CODE


def _language_name(code: str) -> str:
    try:
        return str(translation.get_language_info(code)["name_local"])
    except KeyError:
        return code


def _agent(request: HttpRequest) -> User | None:
    user = getattr(request, "user", None)
    if isinstance(user, User) and user.is_active and user.role in STAFF_ROLES:
        return user
    return None


def _reader(request: HttpRequest) -> kb_selectors.Reader:
    return kb_selectors.Reader(agent=_agent(request), contact=signed_in_contact(request))


def _personal(request: HttpRequest) -> bool:
    """Someone is signed in: the page shows what only they may see, and is private."""
    return _agent(request) is not None or signed_in_contact(request) is not None


def _theme(centre: HelpCentre) -> dict[str, str]:
    defaults = HelpCentre()
    return {
        "primary": centre.primary_colour if _COLOUR.match(centre.primary_colour or "") else defaults.primary_colour,
        "accent": centre.accent_colour if _COLOUR.match(centre.accent_colour or "") else defaults.accent_colour,
    }


def _context(
    request: HttpRequest,
    locale: str,
    *,
    alternates: list[tuple[str, str]] | None = None,
    portal: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """What every page's frame shows: the help centre's name, logo and colours, the language
    switcher (`alternates`: (locale, url) of this page in each language, also its hreflang
    links; portal pages instead switch the interface language), the signed-in customer."""
    centre = kb_services.help_centre()
    if portal:
        alternates = []
    elif alternates is None:
        alternates = [(code, _same_page_in(request, code)) for code in UI_LOCALES]
    return {
        "centre": centre,
        "theme": _theme(centre),
        "locale": locale,
        "ui": _ui_language(locale),  # the help centre's pages (home, search) in the interface's language
        "locale_name": _language_name(locale),
        "contact": signed_in_contact(request),
        "portal": portal,
        "languages": [(code, _language_name(code)) for code in UI_LOCALES],
        "alternates": [
            {"code": code, "name": _language_name(code), "url": url, "absolute": request.build_absolute_uri(url)}
            for code, url in alternates
        ],
        "x_default": request.build_absolute_uri(reverse("portal:help_root")),
        **extra,
    }


def _same_page_in(request: HttpRequest, code: str) -> str:
    match = request.resolver_match
    if match is None or "locale" not in match.kwargs:
        return reverse("portal:help_home", args=[code])
    url = reverse(match.view_name, kwargs={**match.kwargs, "locale": code})
    query = request.GET.get("q", "")  # a search page: the same search (a new one, logged in that language)
    return f"{url}?{urlencode({'q': query})}" if query else url


def _cacheable(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """Anonymous, successful reads: public for HELP_MAX_AGE, with an ETag (and Last-Modified
    when the view knows it), answered 304 when the client has it. Anything else: private."""
    if response.has_header("Cache-Control"):
        return response  # the view decided
    cacheable = request.method in ("GET", "HEAD") and response.status_code == 200 and not _personal(request)
    if not cacheable or not isinstance(response, HttpResponse):
        add_never_cache_headers(response)
        return response
    patch_cache_control(response, public=True, max_age=HELP_MAX_AGE)
    set_response_etag(response)
    modified: datetime | None = getattr(response, "modified_at", None)
    if modified is not None:
        response["Last-Modified"] = http_date(modified.timestamp())
    conditional = get_conditional_response(
        request,
        etag=response.get("ETag"),
        last_modified=int(modified.timestamp()) if modified else None,
        response=response,
    )
    return conditional if conditional is not None else response


def help_page(
    view: Callable[Concatenate[HttpRequest, str, P], HttpResponseBase],
) -> Callable[Concatenate[HttpRequest, str, P], HttpResponseBase]:
    """A help-centre page: in its locale's language, "not found" for what the reader may not see
    (whatever the reason: nobody learns an internal article exists), cached when anonymous."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, locale: str, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if not _LOCALE.match(locale):
            return _not_found(request, settings.LANGUAGE_CODE)
        with translation.override(_ui_language(locale)):
            try:
                response = view(request, locale, *args, **kwargs)
            except NotFound:
                response = _not_found(request, locale)
            response.headers.setdefault("Content-Language", locale)
        return _cacheable(request, response)

    return wrapper


def _not_found(request: HttpRequest, locale: str) -> HttpResponse:
    return render(request, "portal/not_found.html", _context(request, locale, portal=True), status=404)


def _require_ui_locale(locale: str) -> None:
    """Pages other than articles exist in the interface's languages only."""
    if locale not in UI_LOCALES:
        raise NotFound("No help centre in this language.")


# --- the help centre ------------------------------------------------------------------------


@require_safe
def help_root(request: HttpRequest) -> HttpResponse:
    """/help/: the help centre in the signed-in customer's language, else the one their browser asks for."""
    contact = signed_in_contact(request)
    if contact is not None and contact.language in UI_LOCALES:
        locale = contact.language
    else:
        locale = _ui_language(translation.get_language_from_request(request))
    response = redirect("portal:help_home", locale)
    patch_cache_control(response, private=True, max_age=0)
    return response


@require_safe
@help_page
def help_home(request: HttpRequest, locale: str) -> HttpResponse:
    _require_ui_locale(locale)
    tree = kb_selectors.category_tree(reader=_reader(request), locale=locale)
    return render(request, "portal/help_home.html", _context(request, locale, tree=tree))


@require_safe
@help_page
def help_category(request: HttpRequest, locale: str, slug: str) -> HttpResponse:
    _require_ui_locale(locale)
    reader = _reader(request)
    node = next((n for n in kb_selectors.category_tree(reader=reader, locale=locale) if n.category.slug == slug), None)
    if node is None:
        raise NotFound("No such category.")
    sections = [
        (section, kb_selectors.section_articles(reader=reader, section=section.section, locale=locale))
        for section in node.sections
    ]
    return render(request, "portal/help_category.html", _context(request, locale, node=node, sections=sections))


@require_safe
@help_page
def help_section(request: HttpRequest, locale: str, slug: str) -> HttpResponse:
    _require_ui_locale(locale)
    section, items = kb_selectors.section_by_slug(reader=_reader(request), slug=slug, locale=locale)
    context = _context(
        request,
        locale,
        section=section,
        section_name=kb_selectors.localised(section.names, locale, section.slug),
        category_name=kb_selectors.localised(section.category.names, locale, section.category.slug),
        items=items,
    )
    return render(request, "portal/help_section.html", context)


def _corrected(query: str, corrections: dict[str, str]) -> str:
    """The query with the search's typo corrections applied, word by word."""
    lowered = {word.lower(): fixed for word, fixed in corrections.items()}
    return " ".join(lowered.get(word.lower(), word) for word in query.split())


@require_safe
@help_page
def help_search(request: HttpRequest, locale: str) -> HttpResponse:
    """Results in the reader's language first, then articles only in other languages (labelled).
    Each new search is logged; the links carry its id (signed) so that the article page records
    which result was opened. Never cached: a cached page would not be logged."""
    _require_ui_locale(locale)
    query = " ".join(request.GET.get("q", "").split())[:200]
    page = _positive(request.GET.get("page"), default=1)
    reader = _reader(request)
    result = None
    search_ref = request.GET.get("s", "")
    if query:
        result = kb_search.search(
            query=query,
            locale=locale,
            visibilities=kb_selectors.visibilities_for(reader),
            limit=SEARCH_PAGE_SIZE,
            offset=(page - 1) * SEARCH_PAGE_SIZE,
        )
        if not search_ref or _search_id(search_ref) is None:
            logged = kb_search.search_log(
                query=query, locale=locale, source=SearchSource.HELP_CENTRE, results=result.total, now=timezone.now()
            )
            search_ref = _search_signer.sign(str(logged.pk))
    hits = [
        {
            "hit": hit,
            "url": f"{article_url(hit.locale, hit.article_id, hit.url_slug)}?{urlencode({'s': search_ref})}",
            "language": _language_name(hit.locale),
        }
        for hit in (result.hits if result else [])
    ]
    total = result.total if result else 0
    context = _context(
        request,
        locale,
        query=query,
        hits=hits,
        total=total,
        corrected=_corrected(query, result.corrections) if result and result.corrections else "",
        page=page,
        previous_url=_search_page_url(locale, query, search_ref, page - 1) if page > 1 else "",
        next_url=_search_page_url(locale, query, search_ref, page + 1) if page * SEARCH_PAGE_SIZE < total else "",
    )
    response = render(request, "portal/help_search.html", context)
    add_never_cache_headers(response)
    return response


def _search_page_url(locale: str, query: str, search_ref: str, page: int) -> str:
    return reverse("portal:help_search", args=[locale]) + "?" + urlencode({"q": query, "page": page, "s": search_ref})


def _positive(value: str | None, *, default: int) -> int:
    try:
        number = int(value or default)
    except ValueError:
        return default
    return min(max(number, 1), 1000)


def _search_id(reference: str) -> int | None:
    try:
        return int(_search_signer.unsign(reference))
    except (signing.BadSignature, ValueError):
        return None


@require_safe
@help_page
def help_article(request: HttpRequest, locale: str, article_id: int, slug: str = "") -> HttpResponseBase:
    """The article in `locale` (or, when it has no such translation, in the language it has,
    said so). Its other languages are the language switcher and its hreflang links. Opened from
    search results (`?s=`), the click is recorded and the reader lands on the plain URL."""
    reader = _reader(request)
    view = kb_selectors.access_article(reader, article_id, locale=locale)
    if locale not in UI_LOCALES and locale not in view.locales:
        raise NotFound("No such article in this language.")
    shown = view.translation
    if "s" in request.GET:
        search_id = _search_id(request.GET["s"])
        if search_id is not None and request.method == "GET":  # not a link preview's HEAD
            kb_search.search_click(search_id=search_id, translation_id=shown.pk)
        response = redirect(article_url(locale, article_id, shown.slug))
        add_never_cache_headers(response)
        return response
    if slug != shown.slug:
        return redirect(article_url(locale, article_id, shown.slug), permanent=True)
    article = view.article
    section = article.section  # with its category (access_article)
    slugs = {t.locale: t.slug for t in article.translations.all() if t.locale in view.locales}
    alternates = [(code, article_url(code, article_id, slugs.get(code, ""))) for code in view.locales]
    default = article.source_locale if article.source_locale in slugs else (view.locales or [shown.locale])[0]
    feedback = request.GET.get("feedback", "")
    context = _context(
        request,
        locale,
        alternates=alternates,
        article=article,
        translation=shown,
        in_locale=shown.locale == locale,
        shown_language=_language_name(shown.locale),
        canonical=request.build_absolute_uri(article_url(shown.locale, article_id, shown.slug)),
        x_default=request.build_absolute_uri(article_url(default, article_id, slugs.get(default, ""))),
        section=section,
        section_name=kb_selectors.localised(section.names, locale, section.slug),
        category_name=kb_selectors.localised(section.category.names, locale, section.category.slug),
        vote_state={"yes": "thanks", "no": "sorry", "commented": "commented"}.get(feedback, ""),
        vote_value=feedback,
    )
    page = render(request, "portal/help_article.html", context)
    centre = context["centre"]
    page.modified_at = max(  # type: ignore[attr-defined]  # read by _cacheable
        shown.updated_at, centre.updated_at or shown.updated_at
    )
    return page


def _reader_identity(request: HttpRequest, contact: Contact | None) -> tuple[str, str | None]:
    """Who votes: the signed-in customer, else the browser's signed random cookie (made now if it
    has none: then returned second, to be set)."""
    if contact is not None:
        return kb_services.vote_reader(contact, ""), None
    value = request.get_signed_cookie(READER_COOKIE, default=None, salt="portal.reader")
    new = None
    if not value:
        value = new = secrets.token_hex(16)
    return kb_services.vote_reader(None, f"reader:{value}"), new


@csrf_exempt  # the page is cached for everyone, so it carries no token; a vote authorises nothing
@require_POST
@help_page
def help_article_vote(request: HttpRequest, locale: str, article_id: int) -> HttpResponseBase:
    """ "Was this helpful?": one vote per reader, changeable, with an optional comment.
    htmx gets the feedback box back; a plain form goes back to the article."""
    view = kb_selectors.access_article(_reader(request), article_id, locale=locale)
    form = VoteForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Choose yes or no."))
    contact = signed_in_contact(request)
    reader, new_cookie = _reader_identity(request, contact)
    helpful: bool = form.cleaned_data["helpful"]
    try:
        kb_services.vote_record(
            translation=view.translation,
            helpful=helpful,
            comment=form.cleaned_data["comment"].strip(),
            reader=reader,
            contact=contact,
            now=timezone.now(),
        )
    except FrontdeskError as error:
        return HttpResponse(error.message, status=error.status, content_type="text/plain; charset=utf-8")
    value = "yes" if helpful else "no"
    state = "commented" if form.cleaned_data["comment"].strip() else ("thanks" if helpful else "sorry")
    if getattr(request, "htmx", False):
        context = {"locale": locale, "article": view.article, "vote_state": state, "vote_value": value}
        response: HttpResponseBase = render(request, "portal/_vote.html", context)
    else:
        url = article_url(locale, article_id, view.translation.slug)
        response = redirect(f"{url}?feedback={'commented' if state == 'commented' else value}#feedback")
    if new_cookie:
        response.set_signed_cookie(
            READER_COOKIE,
            new_cookie,
            salt="portal.reader",
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    add_never_cache_headers(response)
    return response


# --- the changelog (KB7) ------------------------------------------------------------------------


def _release_notes(locale: str) -> list[ChangelogEntry]:
    return list(kb_selectors.published_changelog(locale=locale, today=timezone.localdate())[:CHANGELOG_SIZE])


@require_safe
@help_page
def changelog(request: HttpRequest, locale: str) -> HttpResponse:
    _require_ui_locale(locale)
    context = _context(request, locale, entries=_release_notes(locale), form=SubscribeForm())
    return render(request, "portal/changelog.html", context)


@require_safe
@help_page
def changelog_feed(request: HttpRequest, locale: str, kind: str) -> HttpResponse:
    """The changelog as an Atom (`feed.atom`) or RSS 2.0 (`feed.rss`) feed."""
    _require_ui_locale(locale)
    generator = feedgenerator.Atom1Feed if kind == "atom" else feedgenerator.Rss201rev2Feed
    centre = kb_services.help_centre()
    page = request.build_absolute_uri(reverse("portal:changelog", args=[locale]))
    feed = generator(
        title=_("%(name)s: what's new") % {"name": centre.name},
        link=page,
        description=_("Release notes of %(name)s.") % {"name": centre.name},
        language=locale,
        feed_url=request.build_absolute_uri(),
    )
    for entry in _release_notes(locale):
        published = datetime.combine(entry.published_on, time(0, 0), tzinfo=UTC)
        feed.add_item(
            title=entry.title,
            link=f"{page}#entry-{entry.pk}",
            description=entry.html,
            unique_id=f"{page}#entry-{entry.pk}",
            pubdate=published,
            updateddate=max(entry.updated_at, published),
            categories=[str(tag) for tag in entry.tags],
        )
    response = HttpResponse(content_type=f"{feed.content_type}")
    feed.write(response, "utf-8")
    return response


@csrf_exempt  # on a page cached for everyone; asking for a confirmation e-mail authorises nothing
@require_POST
@help_page
def changelog_subscribe(request: HttpRequest, locale: str) -> HttpResponse:
    """Double opt-in: the same answer whatever the address; the e-mail's link confirms."""
    _require_ui_locale(locale)
    form = SubscribeForm(request.POST)
    if form.is_valid():
        with form.service_errors():
            kb_services.subscription_request(email=form.cleaned_data["email"], locale=locale, now=timezone.now())
            return render(
                request, "portal/changelog_done.html", _context(request, locale, state="requested", portal=True)
            )
    context = _context(request, locale, entries=_release_notes(locale), form=form)
    return render(request, "portal/changelog.html", context, status=form.error_status)


@require_safe
def changelog_root(request: HttpRequest) -> HttpResponse:
    """/help/changelog/ (the address release-note e-mails link to): the changelog in the reader's language."""
    response = redirect("portal:changelog", _portal_locale(request, signed_in_contact(request)))
    patch_cache_control(response, private=True, max_age=0)
    return response


def _subscription_step(request: HttpRequest, token: str, step: Callable[..., object], state: str) -> HttpResponse:
    """GET shows a button (a mail scanner following the link changes nothing); POST does it."""
    locale = _portal_locale(request, signed_in_contact(request))
    with translation.override(locale):
        if request.method != "POST":
            context = _context(request, locale, state=f"confirm-{state}", portal=True)
            response = render(request, "portal/changelog_done.html", context)
        else:
            try:
                step(token=token, now=timezone.now())
            except FrontdeskError as error:
                context = _context(request, locale, state="error", error=error.message, portal=True)
                response = render(request, "portal/changelog_done.html", context, status=error.status)
            else:
                response = render(
                    request, "portal/changelog_done.html", _context(request, locale, state=state, portal=True)
                )
    add_never_cache_headers(response)
    return response


@csrf_exempt  # the signed token in the e-mailed link is the access
@require_http_methods(["GET", "HEAD", "POST"])
def changelog_confirm(request: HttpRequest, token: str) -> HttpResponse:
    return _subscription_step(request, token, kb_services.subscription_confirm, "confirmed")


@csrf_exempt  # the signed token is the access; RFC 8058 one-click unsubscribe posts without a CSRF token
@require_http_methods(["GET", "HEAD", "POST"])
def changelog_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    return _subscription_step(request, token, kb_services.subscription_cancel, "cancelled")


# --- files -----------------------------------------------------------------------------------

# Served in the page: pictures and players. Anything else is a download, so that no uploaded
# file runs as a page of this site.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "video/mp4", "video/webm"})


@require_safe
def help_file(request: HttpRequest, file_id: int, name: str) -> HttpResponseBase:
    """An article's image, video or attachment, for those who may read the article."""
    try:
        file = kb_selectors.access_article_file(_reader(request), file_id)
        stored = file.file.open("rb")
    except (NotFound, FileNotFoundError):
        return _not_found(request, _portal_locale(request, signed_in_contact(request)))
    response = FileResponse(
        stored,
        as_attachment=file.content_type not in INLINE_TYPES,
        filename=file.name,
        content_type=file.content_type,
    )
    if file.article.visibility == Visibility.PUBLIC and not _personal(request):
        patch_cache_control(response, public=True, max_age=HELP_MAX_AGE)
    else:
        patch_cache_control(response, private=True, max_age=HELP_MAX_AGE)
    return response


@require_safe
def help_logo(request: HttpRequest) -> HttpResponseBase:
    """The help centre's logo (the page asks for it with its version, so it may be kept long)."""
    centre = kb_services.help_centre()
    if not centre.logo:
        return HttpResponse(status=404)
    try:
        stored = centre.logo.open("rb")
    except FileNotFoundError:
        return HttpResponse(status=404)
    response = FileResponse(stored)
    patch_cache_control(response, public=True, max_age=24 * 3600)
    return response


# --- signing in ------------------------------------------------------------------------------


def _portal_locale(request: HttpRequest, contact: Contact | None) -> str:
    """The portal's language: the one chosen on the page (the language cookie), else the
    customer's, else the browser's."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in UI_LOCALES:
        return chosen
    if contact is not None and contact.language in UI_LOCALES:
        return contact.language
    return _active_locale()


def _active_locale() -> str:
    """The interface language of the active translation (a customer page's, inside customer_page)."""
    return _ui_language(translation.get_language() or settings.LANGUAGE_CODE)


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_request(request: HttpRequest) -> HttpResponse:
    """Ask for a sign-in link. The answer is the same whether or not we know the address."""
    locale = _portal_locale(request, None)
    with translation.override(locale):
        if request.method != "POST":
            form = SignInForm(initial={"next": services.safe_next_url(request.GET.get("next", ""))})
            return render(request, "portal/sign_in.html", _context(request, locale, form=form, portal=True))
        form = SignInForm(request.POST)
        if form.is_valid():
            with form.service_errors():
                services.magic_link_request(
                    email=form.cleaned_data["email"],
                    next_url=form.cleaned_data["next"],
                    locale=locale,
                    now=timezone.now(),
                )
                context = _context(request, locale, email=form.cleaned_data["email"], portal=True)
                return render(request, "portal/sign_in_sent.html", context)
        return render(
            request, "portal/sign_in.html", _context(request, locale, form=form, portal=True), status=form.error_status
        )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in_link(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed link. GET shows a "Sign in" button, so that a mail scanner opening the link
    does not use it up; the button signs in (once), with a new session."""
    locale = _portal_locale(request, None)
    with translation.override(locale):
        if request.method != "POST":
            return render(request, "portal/sign_in_link.html", _context(request, locale, portal=True))
        try:
            signed = services.magic_link_redeem(token=token, now=timezone.now())
        except FrontdeskError as error:
            context = _context(request, locale, error=error.message, portal=True)
            return render(request, "portal/sign_in_link.html", context, status=error.status)
    sign_in(request, signed.contact)
    return redirect(signed.next_url or reverse("portal:tickets"))


@require_POST
def sign_out_view(request: HttpRequest) -> HttpResponse:
    locale = _portal_locale(request, signed_in_contact(request))
    sign_out(request)
    return redirect("portal:help_home", locale)


# --- the customer's tickets ----------------------------------------------------------------------


def customer_page(
    view: Callable[Concatenate[HttpRequest, Contact, P], HttpResponseBase],
) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
    """Signed-in customers only (others go to the sign-in page and come back); in the customer's
    language; what they may not see is "not found"; never cached."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        contact = signed_in_contact(request)
        if contact is None:
            back = request.get_full_path() if request.method == "GET" else reverse("portal:tickets")
            sign_in_url = f"{reverse('portal:sign_in')}?next={quote(back)}"
            if getattr(request, "htmx", False):  # a part of a page: the whole page goes to the sign-in
                response: HttpResponseBase = HttpResponse(status=204, headers={"HX-Redirect": sign_in_url})
            else:
                response = redirect(sign_in_url)
        else:
            locale = _portal_locale(request, contact)
            with translation.override(locale):
                try:
                    response = view(request, contact, *args, **kwargs)
                except NotFound:
                    response = _not_found(request, locale)
                response.headers.setdefault("Content-Language", locale)
        add_never_cache_headers(response)
        return response

    return wrapper


@require_GET
@customer_page
def tickets(request: HttpRequest, contact: Contact) -> HttpResponse:
    shared = shares_with_organisation(contact)
    scope = request.GET.get("scope", "mine")
    if scope not in SCOPES or not shared:
        scope = "mine"
    page = customer_ticket_page(
        contact=contact, scope=scope, cursor=request.GET.get("cursor", ""), size=TICKETS_PAGE_SIZE
    )
    context = _context(request, _active_locale(), page=page, scope=scope, shared=shared, portal=True)
    return render(request, "portal/tickets.html", context)


@require_http_methods(["GET", "POST"])
@customer_page
def ticket_new(request: HttpRequest, contact: Contact) -> HttpResponse:
    """The new-ticket form; while the customer types, htmx asks ticket_suggest for articles."""
    locale = _active_locale()
    if request.method != "POST":
        request.session.pop(DEFLECTION_KEY, None)  # a new form, a new deflection
        return render(request, "portal/ticket_new.html", _context(request, locale, form=TicketForm(), portal=True))
    form = TicketForm(request.POST, request.FILES)
    if form.is_valid():
        with form.service_errors():
            ticket = services.customer_ticket_create(
                contact=contact,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
                language=locale,
                deflection_id=request.session.get(DEFLECTION_KEY),
                now=timezone.now(),
            )
            request.session.pop(DEFLECTION_KEY, None)
            messages.success(request, _("Thank you: we received your request #%(number)s.") % {"number": ticket.pk})
            return redirect("portal:ticket", ticket.pk)
    return render(
        request, "portal/ticket_new.html", _context(request, locale, form=form, portal=True), status=form.error_status
    )


@require_POST
@customer_page
def ticket_suggest(request: HttpRequest, contact: Contact) -> HttpResponse:
    """htmx, while the customer types: up to five articles for the subject and description so
    far, recorded as this form's deflection."""
    locale = _active_locale()
    text = f"{request.POST.get('subject', '')}\n{request.POST.get('body', '')}".strip()[:5000]
    suggested = services.ticket_form_suggest(
        contact=contact, text=text, locale=locale, deflection_id=request.session.get(DEFLECTION_KEY), now=timezone.now()
    )
    if suggested.deflection is not None:
        request.session[DEFLECTION_KEY] = suggested.deflection.pk
    suggestions = [
        {
            "hit": hit,
            "url": reverse("portal:suggestion_open", args=[hit.article_id, hit.locale]),
            "language": _language_name(hit.locale) if hit.locale != locale else "",
        }
        for hit in suggested.hits
    ]
    return render(request, "portal/_suggestions.html", {"suggestions": suggestions})


@require_GET
@customer_page
def suggestion_open(request: HttpRequest, contact: Contact, article_id: int, locale: str) -> HttpResponse:
    """A suggested article, opened: counted for the form's deflection, then the article."""
    view = kb_selectors.access_article(kb_selectors.Reader(contact=contact), article_id, locale=locale)
    deflection_id = request.session.get(DEFLECTION_KEY)
    if isinstance(deflection_id, int):
        services.deflection_open(contact=contact, deflection_id=deflection_id, translation_id=view.translation.pk)
    return redirect(article_url(locale, article_id, view.translation.slug))


@require_http_methods(["GET", "POST"])
@customer_page
def ticket(request: HttpRequest, contact: Contact, ticket_id: int) -> HttpResponse:
    """The ticket's public conversation and the reply form."""
    current = access_customer_ticket(contact, ticket_id)
    if current.merged_into_id is not None:
        return redirect("portal:ticket", current.merged_into_id)
    form = ReplyForm()
    status = 200
    if request.method == "POST":
        form = ReplyForm(request.POST, request.FILES)
        if form.is_valid():
            with form.service_errors():
                services.customer_ticket_reply(
                    contact=contact,
                    ticket=current,
                    body=form.cleaned_data["body"],
                    attachments=form.cleaned_data["attachments"],
                    now=timezone.now(),
                )
                messages.success(request, _("Your reply is sent."))
                return redirect(reverse("portal:ticket", args=[current.pk]) + "#latest")
        status = form.error_status
    context = _context(
        request,
        _active_locale(),
        ticket=current,
        conversation=list(customer_ticket_messages(ticket=current)),
        form=form,
        closed=current.status == "closed",
        portal=True,
    )
    return render(request, "portal/ticket.html", context, status=status)


@require_GET
@customer_page
def attachment(request: HttpRequest, contact: Contact, ticket_id: int, attachment_id: int) -> HttpResponseBase:
    file = access_customer_attachment(contact, attachment_id)
    if file.message.ticket_id != ticket_id:
        raise NotFound("There is no such file.")
    return FileResponse(
        file.file.open("rb"), as_attachment=True, filename=file.filename, content_type=file.content_type
    )
