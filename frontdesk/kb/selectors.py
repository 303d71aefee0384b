"""Permission-scoped reads of the knowledge base.

Who reads decides what exists: anonymous readers see public articles, signed-in customers public
and customers-only ones, agents all three (internal too). Outside the agents, only published
translations exist; an article a reader may not see is NotFound, never "forbidden", so its id
tells nothing. Agents also see drafts (a preview), published translations first.

The editor's reads (list, versions, diff) and the reports are for agents; light agents read.
"""

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import Count, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.html import escape
from django.utils.translation import gettext as _

from frontdesk.accounts.models import Contact, User
from frontdesk.accounts.selectors import require_agent
from frontdesk.api.pagination import Page, paginate
from frontdesk.core.errors import NotFound, ValidationError
from frontdesk.kb.models import (
    Article,
    ArticleFile,
    ArticleStatus,
    Category,
    ChangelogEntry,
    ChangelogSubscription,
    Search,
    Section,
    Translation,
    Version,
    Visibility,
    Vote,
)
from frontdesk.tickets.models import Ticket
from frontdesk.tickets.selectors import ticket_messages

EVERYONE = (Visibility.PUBLIC.value,)
CUSTOMERS = (Visibility.PUBLIC.value, Visibility.CUSTOMERS.value)
AGENTS = (Visibility.PUBLIC.value, Visibility.CUSTOMERS.value, Visibility.INTERNAL.value)
QUESTION_CHARS = 4000  # of a ticket's first customer message: enough words to choose articles from


@dataclass(frozen=True)
class Reader:
    """Who is reading: an agent, a signed-in customer, or (both None) anyone."""

    agent: User | None = None
    contact: Contact | None = None

    @property
    def is_agent(self) -> bool:
        return self.agent is not None and self.agent.is_active


def visibilities_for(reader: Reader) -> tuple[str, ...]:
    if reader.is_agent:
        return AGENTS
    if reader.contact is not None:
        return CUSTOMERS
    return EVERYONE


def localised(names: dict[str, str], locale: str, fallback: str = "") -> str:
    """A name in `locale`, else its base language, else the site's, else any."""
    base = locale.split("-")[0]
    return (
        names.get(locale)
        or names.get(base)
        or names.get(settings.LANGUAGE_CODE)
        or next((name for name in names.values() if name), "")
        or fallback
    )


def is_outdated(translation: Translation, source: Translation | None) -> bool:
    """A translation written against an older version of its source."""
    if source is None or translation.pk == source.pk or translation.locale == source.locale:
        return False
    return source.version > (translation.source_version or 0)


def best_translation(article: Article, locale: str, *, published_only: bool = True) -> Translation | None:
    """The translation to show a reader of `locale`: that language, else its base language
    (pt for pt-br), else the source, else any. Uses `article.translations.all()`, so prefetch it."""
    translations = [t for t in article.translations.all() if not published_only or t.status == ArticleStatus.PUBLISHED]
    base = locale.split("-")[0]
    for wanted in (
        lambda t: t.locale == locale,
        lambda t: t.locale.split("-")[0] == base,
        lambda t: t.locale == article.source_locale,
    ):
        found = next((t for t in translations if wanted(t)), None)
        if found is not None:
            return found
    return min(translations, key=lambda t: t.locale, default=None)


def source_translation(article: Article) -> Translation | None:
    """The translation in the article's source language (from `article.translations.all()`)."""
    return next((t for t in article.translations.all() if t.locale == article.source_locale), None)


# --- the help centre --------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionNode:
    section: Section
    name: str
    articles: int


@dataclass(frozen=True)
class CategoryNode:
    category: Category
    name: str
    description: str
    sections: list[SectionNode]


def _published_articles(reader: Reader) -> QuerySet[Article]:
    return Article.objects.filter(
        visibility__in=visibilities_for(reader),
        translations__status=ArticleStatus.PUBLISHED,
    ).distinct()


def category_tree(*, reader: Reader, locale: str) -> list[CategoryNode]:
    """Categories and their sections, each with how many published articles the reader may see;
    only what has something to show."""
    counts = dict(
        _published_articles(reader)
        .order_by()
        .values("section_id")
        .annotate(articles=Count("pk", distinct=True))
        .values_list("section_id", "articles")
    )
    tree: list[CategoryNode] = []
    for category in Category.objects.prefetch_related("sections"):
        sections = [
            SectionNode(section, localised(section.names, locale, section.slug), counts[section.pk])
            for section in category.sections.all()
            if counts.get(section.pk)
        ]
        if sections:
            tree.append(
                CategoryNode(
                    category,
                    localised(category.names, locale, category.slug),
                    localised(category.descriptions, locale),
                    sections,
                )
            )
    return tree


@dataclass(frozen=True)
class ArticleItem:
    article: Article
    translation: Translation
    in_locale: bool


def section_articles(*, reader: Reader, section: Section | int, locale: str) -> list[ArticleItem]:
    """A section's (or a section id's) published articles the reader may see: those in the
    reader's language first, then those that exist only in others (in their best language), each
    in the section's order. Nothing for a section that does not exist."""
    articles = (
        _published_articles(reader)
        .filter(section=section)
        .prefetch_related(_published_prefetch())
        .order_by("position", "pk")
    )
    items = []
    for article in articles:
        translation = best_translation(article, locale)
        if translation is not None:
            items.append(ArticleItem(article, translation, translation.locale == locale))
    return sorted(items, key=lambda item: not item.in_locale)


def section_by_slug(*, reader: Reader, slug: str, locale: str) -> tuple[Section, list[ArticleItem]]:
    """The help centre's section page: the section with its category, and its `section_articles`.
    NotFound when it does not exist or has nothing the reader may read."""
    section = Section.objects.select_related("category").filter(slug=slug).first()
    if section is None:
        raise NotFound("No such section.")
    items = section_articles(reader=reader, section=section, locale=locale)
    if not items:
        raise NotFound("Nothing to read in this section.")
    return section, items


def _published_prefetch() -> Prefetch[str, QuerySet[Translation], str]:
    return Prefetch(
        "translations",
        queryset=Translation.objects.filter(status=ArticleStatus.PUBLISHED).defer("body", "html", "text"),
    )


@dataclass(frozen=True)
class ArticleView:
    article: Article
    translation: Translation
    locales: list[str]  # the languages it is published in, for the language switcher
    outdated: bool


def access_article(reader: Reader, article_id: int, *, locale: str) -> ArticleView:
    """The article as `reader` may read it in `locale` (else its best language). NotFound when
    it does not exist for them: not visible to them, or not published (agents see drafts)."""
    missing = NotFound(f"Article {article_id} does not exist.")
    if not isinstance(article_id, int) or isinstance(article_id, bool):
        raise missing
    article = (
        Article.objects.filter(pk=article_id, visibility__in=visibilities_for(reader))
        .select_related("section__category")
        .prefetch_related("translations")
        .first()
    )
    if article is None:
        raise missing
    translation = best_translation(article, locale) or (
        best_translation(article, locale, published_only=False) if reader.is_agent else None
    )
    if translation is None:
        raise missing
    published = sorted(t.locale for t in article.translations.all() if t.status == ArticleStatus.PUBLISHED)
    return ArticleView(article, translation, published, is_outdated(translation, source_translation(article)))


def access_article_file(reader: Reader, file_id: int) -> ArticleFile:
    """A file of an article the reader may read (the help centre serves it under /help/files/)."""
    file = ArticleFile.objects.select_related("article").filter(pk=file_id).first()
    if file is None:
        raise NotFound(f"File {file_id} does not exist.")
    access_article(reader, file.article_id, locale=file.article.source_locale)
    return file


def access_editor_article(user: User, article_id: int) -> Article:
    """An article for the editor: agents see every one, with every translation (drafts too) and
    its section."""
    require_agent(user)
    return access_article(Reader(agent=user), article_id, locale=user.language or settings.LANGUAGE_CODE).article


def access_editor_file(user: User, article_id: int, file_id: int) -> ArticleFile:
    """A file of an article, for the editor."""
    file = access_editor_article(user, article_id).files.filter(pk=file_id).first()
    if file is None:
        raise NotFound(_("Article %(article)s has no file %(id)s.") % {"article": article_id, "id": file_id})
    return file


def ticket_question(*, user: User, ticket: Ticket) -> str:
    """What a ticket asks, to suggest articles for: its subject and the start of its first
    customer message."""
    first = (
        ticket_messages(user=user, ticket=ticket)
        .filter(author_contact__isnull=False)
        .select_related(None)
        .prefetch_related(None)
        .values_list("stripped_text", "body_text")
        .first()
    )
    return "\n".join([ticket.subject, (first[0] or first[1])[:QUESTION_CHARS] if first else ""])


def link_translations(*, article_ids: Iterable[int]) -> dict[int, Article]:
    """The articles by id, each with its published translations (title and slug): what a link
    sent to a customer may point to."""
    published = Translation.objects.filter(status=ArticleStatus.PUBLISHED).only(
        "article_id", "locale", "title", "slug", "status"
    )
    articles = Article.objects.filter(pk__in=list(article_ids)).only("source_locale", "visibility")
    return articles.prefetch_related(Prefetch("translations", queryset=published)).in_bulk()


# --- categories, sections and the changelog, for agents ----------------------------------------


def _counted_sections() -> QuerySet[Section]:
    """Sections with how many articles each holds, in any status and visibility."""
    return Section.objects.annotate(article_count=Count("articles"))


def category_list(*, user: User) -> QuerySet[Category]:
    """The categories in the help centre's order, each with its sections (counted) in order."""
    require_agent(user)
    sections = _counted_sections().order_by("position", "pk")
    return Category.objects.prefetch_related(Prefetch("sections", queryset=sections))


def access_category(user: User, category_id: int) -> Category:
    category = category_list(user=user).filter(pk=category_id).first()
    if category is None:
        raise NotFound(_("Category %(id)s does not exist.") % {"id": category_id})
    return category


def section_list(*, user: User, category_id: int | None = None) -> QuerySet[Section]:
    """Sections by category, then in order, each with its category and how many articles it holds."""
    require_agent(user)
    sections = _counted_sections().select_related("category")
    if category_id is not None:
        sections = sections.filter(category_id=category_id)
    return sections.order_by("category__position", "category__pk", "position", "pk")


def access_section(user: User, section_id: int) -> Section:
    section = section_list(user=user).filter(pk=section_id).first()
    if section is None:
        raise NotFound(_("Section %(id)s does not exist.") % {"id": section_id})
    return section


def changelog_list(*, user: User, locale: str = "") -> QuerySet[ChangelogEntry]:
    """Every release note, drafts too, newest first; `locale` keeps one language's."""
    require_agent(user)
    entries = ChangelogEntry.objects.order_by("-published_on", "-pk")
    return entries.filter(locale=locale) if locale else entries


def access_changelog_entry(user: User, entry_id: int) -> ChangelogEntry:
    entry = changelog_list(user=user).filter(pk=entry_id).first()
    if entry is None:
        raise NotFound(_("Release note %(id)s does not exist.") % {"id": entry_id})
    return entry


def changelog_subscriber_counts(*, user: User) -> dict[str, int]:
    """Confirmed subscribers (not unsubscribed) per language."""
    require_agent(user)
    return dict(
        ChangelogSubscription.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)
        .order_by()
        .values("locale")
        .annotate(count=Count("pk"))
        .values_list("locale", "count")
    )


def published_changelog(*, locale: str, today: date) -> QuerySet[ChangelogEntry]:
    """The help centre's release notes in a language: published, dated today or before, newest
    first. Anyone reads them."""
    entries = ChangelogEntry.objects.filter(is_published=True, locale=locale, published_on__lte=today)
    return entries.order_by("-published_on", "-pk")


# --- the editor -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocaleState:
    translation: Translation
    locale: str
    status: str
    version: int
    outdated: bool


@dataclass(frozen=True)
class EditorRow:
    article: Article
    title: str  # in the requested language, else the source's
    translations: list[LocaleState]
    missing_locales: list[str]  # the site's languages it has no translation in
    updated_at: datetime
    outdated: bool  # some translation is behind its source


def _source_version() -> Subquery:
    return Subquery(
        Translation.objects.filter(article=OuterRef("article"), locale=OuterRef("article__source_locale")).values(
            "version"
        )[:1]
    )


def editor_articles(
    *,
    user: User,
    locale: str = "",
    status: str = "",
    outdated: bool = False,
    q: str = "",
    cursor: str | None = None,
    size: int = 25,
) -> Page[EditorRow]:
    """Articles for the editor, most recently changed first, each with its languages' status and
    outdated flags. `locale`/`status` keep articles with a translation in that language/status
    (both: that translation has that status); `outdated` keeps those with an outdated translation
    (in `locale` if given); `q` matches titles in any language."""
    require_agent(user)
    if not 1 <= size <= 100:
        raise ValidationError("Page size must be between 1 and 100.", field="limit")
    if status and status not in ArticleStatus.values:
        raise ValidationError(
            f"“{status}” is not a status; use one of {', '.join(ArticleStatus.values)}.", field="status"
        )
    translations = Translation.objects.all()
    if locale:
        translations = translations.filter(locale=locale)
    if status:
        translations = translations.filter(status=status)
    if outdated:
        translations = (
            translations.exclude(locale=F("article__source_locale"))
            .annotate(current_source=_source_version())
            .filter(current_source__gt=Coalesce(F("source_version"), 0))
        )
    articles = Article.objects.all()
    if locale or status or outdated:
        articles = articles.filter(pk__in=translations.values("article_id"))
    if q.strip():
        articles = articles.filter(pk__in=Translation.objects.filter(title__icontains=q.strip()).values("article_id"))
    articles = (
        articles.annotate(last_change=Coalesce(Max("translations__updated_at"), "created_at"))
        .select_related("section")
        .prefetch_related(_light_translations())
    )
    page = paginate(articles, order="-last_change", cursor=cursor or "", size=size)
    return Page([_editor_row(article, locale) for article in page.items], page.next_cursor)


def _light_translations() -> Prefetch[str, QuerySet[Translation], str]:
    return Prefetch("translations", queryset=Translation.objects.defer("body", "html", "text"))


def _editor_row(article: Article, locale: str) -> EditorRow:
    source = source_translation(article)
    translations = list(article.translations.all())
    states = [LocaleState(t, t.locale, t.status, t.version, is_outdated(t, source)) for t in translations]
    present = {t.locale for t in translations}
    missing = [code for code, _name in settings.LANGUAGES if code not in present]
    shown = best_translation(article, locale or article.source_locale, published_only=False)
    return EditorRow(
        article,
        shown.title if shown else "",
        states,
        missing,
        article.last_change,  # type: ignore[attr-defined]  # annotated by editor_articles
        any(state.outdated for state in states),
    )


def access_translation(user: User, article_id: int, locale: str) -> Translation:
    """An article in one language, for the editor (agents see every article, drafts too); the
    translation comes with its article, all its translations and its section."""
    article = access_editor_article(user, article_id)
    translation = next((t for t in article.translations.all() if t.locale == locale.lower()), None)
    if translation is None:
        raise NotFound(_("Article %(id)s has no %(locale)s translation.") % {"id": article_id, "locale": locale})
    return translation


def translation_versions(*, user: User, translation: Translation) -> list[Version]:
    """Its history, newest first."""
    require_agent(user)
    return list(translation.versions.select_related("author").order_by("-number"))


def access_version(user: User, translation: Translation, number: int) -> Version:
    require_agent(user)
    version = translation.versions.select_related("author").filter(number=number).first()
    if version is None:
        raise NotFound(_("This translation has no version %(number)s.") % {"number": number})
    return version


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "hunk" (@@ …), "context", "added", "removed"
    text: str  # html-escaped
    old_number: int | None
    new_number: int | None


def version_diff(*, user: User, translation: Translation, a: int, b: int) -> list[DiffLine]:
    """What changed from version `a` to version `b` (title first, then the Markdown), as unified
    diff lines with three lines of context, html-escaped."""
    require_agent(user)
    versions = {v.number: v for v in translation.versions.filter(number__in=[a, b])}
    for number, name in ((a, "a"), (b, "b")):
        if number not in versions:
            raise ValidationError(f"This translation has no version {number}.", field=name)
    old, new = _lines(versions[a]), _lines(versions[b])
    lines: list[DiffLine] = []
    for group in difflib.SequenceMatcher(None, old, new, autojunk=False).get_grouped_opcodes(3):
        first, last = group[0], group[-1]
        lines.append(
            DiffLine(
                "hunk",
                escape(f"@@ -{first[1] + 1},{last[2] - first[1]} +{first[3] + 1},{last[4] - first[3]} @@"),
                None,
                None,
            )
        )
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(DiffLine("context", escape(old[i]), i + 1, j1 + (i - i1) + 1) for i in range(i1, i2))
                continue
            if tag in ("replace", "delete"):
                lines.extend(DiffLine("removed", escape(old[i]), i + 1, None) for i in range(i1, i2))
            if tag in ("replace", "insert"):
                lines.extend(DiffLine("added", escape(new[j]), None, j + 1) for j in range(j1, j2))
    return lines


def _lines(version: Version) -> list[str]:
    return [f"# {version.title}", "", *version.body.splitlines()]


# --- reports ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UsefulnessRow:
    article_id: int
    title: str
    votes: int
    helpful: int
    unhelpful: int
    percent: float | None  # helpful votes of all votes, 0–100
    comments: int


@dataclass(frozen=True)
class UsefulnessReport:
    rows: list[UsefulnessRow]  # most votes first
    votes: int
    helpful: int
    percent: float | None
    comments: int
    recent_comments: list[Vote]


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def usefulness(*, user: User, start: datetime, end: datetime) -> UsefulnessReport:
    """ "Was this helpful?" votes cast in [start, end), per article (all its languages) and overall."""
    require_agent(user)
    votes = Vote.objects.filter(created_at__gte=start, created_at__lt=end)
    per_article = list(
        votes.order_by()
        .values("translation__article_id")
        .annotate(
            votes=Count("pk"),
            helpful=Count("pk", filter=Q(helpful=True)),
            comments=Count("pk", filter=~Q(comment="")),
        )
        .order_by("-votes", "translation__article_id")
    )
    ids = [row["translation__article_id"] for row in per_article]
    articles = Article.objects.filter(pk__in=ids).prefetch_related(_light_translations()).in_bulk()
    rows = []
    for row in per_article:
        article = articles[row["translation__article_id"]]
        shown = best_translation(article, user.language or article.source_locale, published_only=False)
        rows.append(
            UsefulnessRow(
                article.pk,
                shown.title if shown else "",
                row["votes"],
                row["helpful"],
                row["votes"] - row["helpful"],
                _percent(row["helpful"], row["votes"]),
                row["comments"],
            )
        )
    total = sum(row.votes for row in rows)
    helpful = sum(row.helpful for row in rows)
    recent = list(votes.exclude(comment="").select_related("translation").order_by("-created_at", "-pk")[:20])
    return UsefulnessReport(rows, total, helpful, _percent(helpful, total), sum(r.comments for r in rows), recent)


@dataclass(frozen=True)
class SearchTerm:
    query: str
    searches: int
    clicks: int


@dataclass(frozen=True)
class SearchAnalytics:
    searches: int
    clicked: int
    click_through: float | None  # % of searches after which a result was opened
    no_result: int
    top: list[SearchTerm]
    without_results: list[SearchTerm]


def search_analytics(*, user: User, start: datetime, end: datetime, limit: int = 20) -> SearchAnalytics:
    """Searches made in [start, end): the most frequent (grouped lower-case, without accents),
    those that found nothing, and how often a result was opened."""
    require_agent(user)
    searches = Search.objects.filter(created_at__gte=start, created_at__lt=end)
    totals = searches.aggregate(
        searches=Count("pk"),
        clicked=Count("pk", filter=Q(clicked__isnull=False)),
        no_result=Count("pk", filter=Q(results=0)),
    )
    return SearchAnalytics(
        searches=totals["searches"],
        clicked=totals["clicked"],
        click_through=_percent(totals["clicked"], totals["searches"]),
        no_result=totals["no_result"],
        top=_terms(searches, limit),
        without_results=_terms(searches.filter(results=0), limit),
    )


def _terms(searches: QuerySet[Search], limit: int) -> list[SearchTerm]:
    grouped = (
        searches.order_by()
        .values("normalised")
        .annotate(searches=Count("pk"), clicks=Count("clicked"), shown=Max("query"))
        .order_by("-searches", "normalised")[:limit]
    )
    return [SearchTerm(row["shown"], row["searches"], row["clicks"]) for row in grouped]
