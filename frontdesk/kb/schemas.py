"""What the REST API reads and writes for the knowledge base: categories and sections, articles
with their translations, versions and files, search, reports, the help centre's look, the
changelog, and the public help centre's reads."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal

from django.conf import settings
from django.urls import reverse
from ninja import Field, Schema

from frontdesk.api.schemas import Blankable, Id, Input
from frontdesk.kb.markdown import article_url, file_url
from frontdesk.kb.models import (
    Article,
    ArticleFile,
    ArticleStatus,
    HelpCentre,
    Translation,
    Visibility,
)
from frontdesk.kb.search import Hit
from frontdesk.kb.selectors import (
    ArticleItem,
    ArticleView,
    is_outdated,
    localised,
    source_translation,
)

Position = Annotated[int, Field(ge=0, le=2**31 - 1)]
Locale = Annotated[str, Field(max_length=20, description="A language code: en, es, lt, pt-br…")]
NAMES_HELP = 'Per language: {"en": "Billing", "es": "Facturación"}; at least one.'


def absolute(path: str) -> str:
    return f"{settings.BASE_URL}{path}"


# --- categories and sections -------------------------------------------------------------


class SectionRef(Schema):
    id: int
    slug: str
    names: dict[str, str]


class CategoryOut(Schema):
    """A top level of the help centre, with its sections in order."""

    id: int
    slug: str
    names: dict[str, str]
    descriptions: dict[str, str]
    position: int
    sections: list[SectionRef]


class CategoryIn(Input):
    slug: str = Field(max_length=100, description="Lower-case letters, digits and hyphens: getting-started.")
    names: dict[str, str] = Field(description=NAMES_HELP)
    descriptions: dict[str, str] = Field(default_factory=dict, description="Per language, like names.")
    position: Position = 0


class SectionOut(Schema):
    id: int
    category: int = Field(alias="category_id", description="Category id.")
    slug: str
    names: dict[str, str]
    position: int
    articles: int = Field(
        alias="article_count", description="How many articles it holds, in any status and visibility."
    )


class SectionIn(Input):
    category: Id = Field(description="Category id.")
    slug: str = Field(max_length=100, description="Lower-case letters, digits and hyphens.")
    names: dict[str, str] = Field(description=NAMES_HELP)
    position: Position = 0


class SectionQuery(Input):
    category: Blankable[Id] = Field(None, description="Only this category's sections.")


# --- articles and translations -----------------------------------------------------------


class LocaleStateOut(Schema):
    """One language of an article in the editor's list."""

    locale: str
    status: ArticleStatus
    version: int
    outdated: bool = Field(description="Written against an older version of the source language.")


class ArticleRowOut(Schema):
    id: int = Field(alias="article.pk")
    section: int = Field(alias="article.section_id", description="Section id.")
    visibility: Visibility = Field(alias="article.visibility")
    source_locale: str = Field(alias="article.source_locale")
    title: str = Field(description="In the language asked for, else the source's.")
    updated_at: datetime
    outdated: bool = Field(description="Some translation is behind its source.")
    translations: list[LocaleStateOut]
    missing_locales: list[str] = Field(description="The help centre's languages it has no translation in.")


class ArticlePage(Schema):
    items: list[ArticleRowOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class ArticleQuery(Input):
    locale: str = Field("", max_length=20, description="Only articles with a translation in this language.")
    status: Blankable[ArticleStatus] = Field(None, description="Only articles with a translation in this status.")
    outdated: bool = Field(False, description="Only articles with an outdated translation (in `locale` if given).")
    q: str = Field("", max_length=200, description="Words of a title, in any language.")
    limit: int = Field(25, ge=1, le=100)
    cursor: str = Field("", max_length=200, description="The `next_cursor` of the previous page.")


class TranslationStateOut(Schema):
    """A language of an article: its workflow status and whether it is behind its source."""

    id: int
    locale: str
    title: str
    status: ArticleStatus
    version: int
    source_version: int | None = Field(description="The source's version this translation was written against.")
    outdated: bool
    published_at: datetime | None
    updated_at: datetime
    helpful: int
    unhelpful: int

    @staticmethod
    def resolve_outdated(translation: Translation) -> bool:
        # The article and its translations come prefetched with it (access_article).
        return is_outdated(translation, source_translation(translation.article))


class ArticleOut(Schema):
    """An article, whatever its languages: the source language first."""

    id: int
    section: SectionRef
    visibility: Visibility = Field(description="public: everyone; customers: signed-in customers; internal: agents.")
    position: int
    source_locale: str = Field(description="The language it was written in; the others follow it.")
    created_at: datetime
    created_by: int | None = Field(alias="created_by_id", description="Agent id.")
    translations: list[TranslationStateOut]

    @staticmethod
    def resolve_translations(article: Article) -> list[Translation]:
        return sorted(article.translations.all(), key=lambda t: (t.locale != article.source_locale, t.locale))


class ArticleIn(Input):
    """A new article: its first language (the source), saved as a draft at version 1."""

    section: Id = Field(description="Section id.")
    visibility: Visibility = Visibility.PUBLIC
    locale: Locale
    title: str = Field(max_length=200)
    body: str = Field("", max_length=200_000, description="Markdown.")


class ArticlePatch(Input):
    """Only the fields sent change. Changing who may read a published article is for supervisors and admins."""

    section: Id | None = Field(None, description="Section id.")
    visibility: Visibility | None = None
    position: Position | None = None


class TranslationOut(TranslationStateOut):
    """An article in one language: its Markdown, the sanitised HTML readers see, and its workflow."""

    article: int = Field(alias="article_id", description="Article id.")
    is_source: bool
    slug: str
    body: str = Field(description="Markdown.")
    html: str = Field(description="Rendered and sanitised.")
    updated_by: int | None = Field(alias="updated_by_id", description="Agent id.")
    url: str = Field(description="Its page in the help centre (for those who may read it).")

    @staticmethod
    def resolve_is_source(translation: Translation) -> bool:
        return translation.locale == translation.article.source_locale

    @staticmethod
    def resolve_url(translation: Translation) -> str:
        return absolute(article_url(translation.locale, translation.article_id, translation.slug))


class TranslationIn(Input):
    """The whole text; saving an unchanged text records no version."""

    title: str = Field(max_length=200)
    body: str = Field("", max_length=200_000, description="Markdown.")
    note: str = Field("", max_length=200, description="What changed, for the history.")


class StatusIn(Input):
    status: ArticleStatus = Field(
        description="draft ⇄ review: any editor; published, archived, back to draft: supervisors and admins."
    )


# --- versions ----------------------------------------------------------------------------


class AuthorRef(Schema):
    id: int
    name: str


class VersionOut(Schema):
    number: int
    title: str
    status: ArticleStatus = Field(description="The translation's status when it was saved.")
    note: str
    created_at: datetime
    author: AuthorRef | None


class VersionDetailOut(VersionOut):
    body: str = Field(description="Markdown.")


class DiffQuery(Input):
    a: Id = Field(description="The older version's number.")
    b: Id = Field(description="The newer version's number.")


class DiffLineOut(Schema):
    kind: Literal["hunk", "context", "added", "removed"]
    text: str = Field(description="HTML-escaped.")
    old_number: int | None = Field(description="Its line in version a.")
    new_number: int | None = Field(description="Its line in version b.")


class DiffOut(Schema):
    """A unified diff (three lines of context) of the title and the Markdown."""

    a: int
    b: int
    lines: list[DiffLineOut]


# --- files -------------------------------------------------------------------------------


class ArticleFileOut(Schema):
    id: int
    name: str = Field(description="What the Markdown calls it; unique within the article.")
    content_type: str = Field(description="The type its content shows, whatever it was called.")
    size: int = Field(description="Bytes.")
    created_at: datetime
    url: str = Field(description="Where the help centre serves it, to those who may read the article.")
    markdown: str = Field(description="Paste into the article: an image, a link, or (alone on a line) a video player.")

    @staticmethod
    def resolve_url(file: ArticleFile) -> str:
        return absolute(file_url(file))

    @staticmethod
    def resolve_markdown(file: ArticleFile) -> str:
        label = file.name.replace("[", "").replace("]", "")
        prefix = "!" if file.content_type.startswith("image/") else ""
        return f"{prefix}[{label}]({file_url(file)})"


class PreviewIn(Input):
    body: str = Field(max_length=200_000, description="Markdown.")
    article: Id | None = Field(None, description="Article id, whose files the Markdown may name.")


class PreviewOut(Schema):
    html: str = Field(description="Sanitised, as readers will see it.")


# --- search ------------------------------------------------------------------------------


class PublicHitOut(Schema):
    article_id: int
    locale: str
    title: str
    snippet_html: str = Field(description="Escaped text, the matches in <mark>.")
    other_language: bool = Field(description="The article has no translation in the language searched.")
    url: str = Field(description="Its page in the help centre.")

    @staticmethod
    def resolve_url(hit: Hit) -> str:
        return absolute(article_url(hit.locale, hit.article_id, hit.url_slug))


class HitOut(PublicHitOut):
    translation_id: int
    score: float


class SearchQuery(Input):
    q: str = Field(max_length=200, description="Words; one typo per word is forgiven.")
    locale: str = Field("", max_length=20, description="The language to search in; default: yours.")
    include_drafts: bool = Field(False, description="Also drafts and translations in review.")
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=10_000)


class SearchOut(Schema):
    """Every visibility (internal too): the language searched first, then articles only in others."""

    total: int
    corrections: dict[str, str] = Field(description="Word as typed → the word searched for instead.")
    hits: list[HitOut]
    search_id: int | None = Field(description="For click-through: POST /kb/searches/{search_id}/click.")


class ClickIn(Input):
    translation: Id = Field(description="The translation id of the result that was opened.")


Audience = Literal["agents", "customers", "everyone"]


class SuggestIn(Input):
    text: str = Field(max_length=20_000, description="A ticket's subject and body, a half-written request…")
    locale: str = Field("", max_length=20, description="The reader's language; default: yours.")
    audience: Audience = Field(
        "agents",
        description="Who will read the suggestions: agents (every article), customers (public and "
        "customers-only), everyone (public only).",
    )
    limit: int = Field(5, ge=1, le=20)
    exclude: list[Id] = Field(default_factory=list, max_length=100, description="Article ids to leave out.")


# --- reports -----------------------------------------------------------------------------


class UsefulnessRowOut(Schema):
    article_id: int
    title: str
    votes: int
    helpful: int
    unhelpful: int
    percent: float | None = Field(description="Helpful votes of all votes, 0–100.")
    comments: int


class VoteCommentOut(Schema):
    article_id: int = Field(alias="translation.article_id")
    locale: str = Field(alias="translation.locale")
    helpful: bool
    comment: str
    created_at: datetime


class UsefulnessOut(Schema):
    """ "Was this helpful?" votes cast in the period, per article (all its languages; most votes first)."""

    start: datetime
    end: datetime
    votes: int
    helpful: int
    unhelpful: int
    percent: float | None
    comments: int
    rows: list[UsefulnessRowOut]
    recent_comments: list[VoteCommentOut] = Field(description="The latest 20 comments.")


class SearchTermOut(Schema):
    query: str = Field(description="As one of the searches wrote it.")
    searches: int
    clicks: int


class SearchReportOut(Schema):
    """Searches made in the period (help centre, ticket form, agents, API)."""

    start: datetime
    end: datetime
    searches: int
    clicked: int
    click_through: float | None = Field(description="% of searches after which a result was opened.")
    no_result: int
    top: list[SearchTermOut]
    without_results: list[SearchTermOut]


class DeflectionOut(Schema):
    """The portal's ticket form: how often its suggestions answered the question."""

    start: datetime
    end: datetime
    shown: int = Field(description="Ticket forms that suggested articles.")
    opened: int = Field(description="… where the customer opened one.")
    deflected: int = Field(description="… and then sent no ticket.")
    submitted: int = Field(description="… where a ticket was sent all the same.")
    rate: float | None = Field(description="Deflected per form shown suggestions, in %.")


# --- the help centre's look --------------------------------------------------------------


class HelpCentreOut(Schema):
    name: str
    primary_colour: str = Field(description="#rrggbb")
    accent_colour: str = Field(description="#rrggbb")
    logo_url: str | None

    @staticmethod
    def resolve_logo_url(centre: HelpCentre) -> str | None:
        if not centre.logo:
            return None
        version = int(centre.updated_at.timestamp()) if centre.updated_at else 0
        return absolute(f"{reverse('portal:help_logo')}?v={version}")


class HelpCentrePatch(Input):
    """Only the fields sent change."""

    name: str | None = Field(None, max_length=100)
    primary_colour: str | None = Field(None, max_length=7, description="#rrggbb")
    accent_colour: str | None = Field(None, max_length=7, description="#rrggbb")


# --- the changelog -----------------------------------------------------------------------


class ChangelogOut(Schema):
    id: int
    locale: str
    title: str
    body: str = Field(description="Markdown.")
    html: str
    tags: list[str]
    published_on: date
    is_published: bool
    announced_at: datetime | None = Field(description="When subscribers were e-mailed about it.")
    created_at: datetime
    updated_at: datetime


class ChangelogIn(Input):
    """A release note; a published one dated today or before is e-mailed to its language's subscribers once."""

    locale: Locale = "en"
    title: str = Field(max_length=200)
    body: str = Field("", max_length=200_000, description="Markdown.")
    tags: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=10)
    published_on: date
    is_published: bool = False


class ChangelogPage(Schema):
    items: list[ChangelogOut]
    next_cursor: str | None


class ChangelogQuery(Input):
    locale: str = Field("", max_length=20, description="Only this language's entries.")
    limit: int = Field(25, ge=1, le=100)
    cursor: str = Field("", max_length=200, description="The `next_cursor` of the previous page.")


class SubscribersOut(Schema):
    total: int = Field(description="Confirmed subscribers.")
    by_locale: dict[str, int]


# --- the public help centre --------------------------------------------------------------


class PublicQuery(Input):
    locale: str = Field("en", max_length=20, description="The reader's language.")


class PublicSectionOut(Schema):
    id: int = Field(alias="section.pk")
    slug: str = Field(alias="section.slug")
    name: str
    articles: int = Field(description="Published articles the reader may read.")


class PublicCategoryOut(Schema):
    id: int = Field(alias="category.pk")
    slug: str = Field(alias="category.slug")
    name: str
    description: str
    sections: list[PublicSectionOut]


class PublicArticleItemOut(Schema):
    article_id: int = Field(alias="article.pk")
    locale: str = Field(alias="translation.locale")
    title: str = Field(alias="translation.title")
    in_locale: bool = Field(description="False: it has no translation in the language asked for.")
    url: str

    @staticmethod
    def resolve_url(item: ArticleItem) -> str:
        return absolute(article_url(item.translation.locale, item.article.pk, item.translation.slug))


class PublicPlaceOut(Schema):
    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class ReadArticle:
    """An article as a reader opened it: what `access_article` found, in the language asked for."""

    view: ArticleView
    locale: str


class PublicArticleOut(Schema):
    """A published article in the reader's language, else its best one (`in_locale` false)."""

    id: int = Field(alias="view.article.pk")
    locale: str = Field(alias="view.translation.locale")
    in_locale: bool
    title: str = Field(alias="view.translation.title")
    html: str = Field(alias="view.translation.html", description="Sanitised.")
    locales: list[str] = Field(alias="view.locales", description="The languages it is published in.")
    section: PublicPlaceOut
    category: PublicPlaceOut
    published_at: datetime | None = Field(alias="view.translation.published_at")
    updated_at: datetime = Field(alias="view.translation.updated_at")
    url: str

    @staticmethod
    def resolve_in_locale(read: ReadArticle) -> bool:
        return read.view.translation.locale == read.locale

    @staticmethod
    def resolve_section(read: ReadArticle) -> dict[str, object]:
        section = read.view.article.section
        return {"id": section.pk, "slug": section.slug, "name": localised(section.names, read.locale, section.slug)}

    @staticmethod
    def resolve_category(read: ReadArticle) -> dict[str, object]:
        category = read.view.article.section.category
        name = localised(category.names, read.locale, category.slug)
        return {"id": category.pk, "slug": category.slug, "name": name}

    @staticmethod
    def resolve_url(read: ReadArticle) -> str:
        translation = read.view.translation
        return absolute(article_url(translation.locale, read.view.article.pk, translation.slug))


class PublicArticleQuery(PublicQuery):
    search: str = Field("", max_length=200, description="The `search` of the results it was opened from.")


class PublicSearchQuery(PublicQuery):
    q: str = Field(max_length=200)
    limit: int = Field(20, ge=1, le=50)
    offset: int = Field(0, ge=0, le=1000)


class PublicSearchOut(Schema):
    total: int
    corrections: dict[str, str]
    hits: list[PublicHitOut]
    search: str | None = Field(
        description="Pass as `search` when opening a result, to count the click (click-through)."
    )


class VoteIn(Input):
    locale: str = Field("en", max_length=20, description="The language read (the article's best one is voted on).")
    helpful: bool
    comment: str = Field("", max_length=2000)
    reader: str = Field(
        "",
        max_length=200,
        description="An opaque id of the reader, the same for their later votes (stored hashed); "
        "not needed when signed in to the portal.",
    )


class VoteOut(Schema):
    article_id: int
    locale: str
    helpful: bool
    comment: str


class PublicChangelogOut(Schema):
    id: int
    locale: str
    title: str
    html: str
    tags: list[str]
    published_on: date


class PublicChangelogPage(Schema):
    items: list[PublicChangelogOut]
    next_cursor: str | None


class PublicChangelogQuery(PublicQuery):
    limit: int = Field(25, ge=1, le=100)
    cursor: str = Field("", max_length=200)


class SubscriptionIn(Input):
    email: str = Field(max_length=254)
    locale: str = Field("en", max_length=20)


class TokenIn(Input):
    token: str = Field(max_length=500, description="From the link in the e-mail.")


class AcceptedOut(Schema):
    detail: str
