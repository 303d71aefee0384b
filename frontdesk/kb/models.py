from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from frontdesk.accounts.models import Contact, User


class HelpCentre(models.Model):
    """The help centre's name and look (KB3): a single row (pk 1)."""

    name = models.CharField(_("name"), max_length=100, default="Help centre")
    logo = models.FileField(_("logo"), upload_to="kb/brand/", blank=True)
    primary_colour = models.CharField(_("primary colour"), max_length=7, default="#1d4ed8")
    accent_colour = models.CharField(_("accent colour"), max_length=7, default="#0f766e")
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """The top level of the help centre. Names are per language: {"en": "…", "es": "…"}."""

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    names = models.JSONField(_("names"), default=dict)
    descriptions = models.JSONField(_("descriptions"), default=dict, blank=True)
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.slug


class Section(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="sections")
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    names = models.JSONField(_("names"), default=dict)
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.slug


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Everyone")
    CUSTOMERS = "customers", _("Signed-in customers")
    INTERNAL = "internal", _("Agents only")


class Article(models.Model):
    """One article, whatever its languages: its translations are its versions per locale (KB4)."""

    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="articles")
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    position = models.PositiveIntegerField(_("order"), default=0)
    # The language it was written in: the other translations follow it.
    source_locale = models.CharField(_("source language"), max_length=10, default="en")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"article {self.pk}"


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Translation(models.Model):
    """An article in one language: Markdown source, its rendered (sanitised) HTML and plain text,
    its workflow status, and its version counter. A translation whose `source_version` is below
    the source translation's `version` is outdated."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    locale = models.CharField(_("language"), max_length=10)
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(max_length=220, allow_unicode=True)
    body = models.TextField(_("body (Markdown)"), blank=True)
    html = models.TextField(blank=True)
    text = models.TextField(blank=True)  # plain text of the body: search snippets, suggestions
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    version = models.PositiveIntegerField(default=1)
    source_version = models.PositiveIntegerField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    helpful = models.PositiveIntegerField(default=0)
    unhelpful = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "locale"], name="kb_translation_one_per_locale"),
        ]
        indexes = [
            # The help centre's section pages: published translations of a language.
            models.Index(fields=["locale", "status"], name="kb_translation_locale_status"),
        ]
        ordering = ["article_id", "locale"]

    def __str__(self) -> str:
        return f"{self.title} ({self.locale})"


class Version(models.Model):
    """A saved state of a translation (KB5): diff against another and restore."""

    translation = models.ForeignKey(Translation, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=ArticleStatus.choices)
    created_at = models.DateTimeField()
    author = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["translation", "number"], name="kb_version_number_once")]
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"{self.translation_id} v{self.number}"


class ArticleFile(models.Model):
    """An image, attachment or uploaded video of an article, linked from its Markdown."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to="kb/%Y/%m/")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class Vote(models.Model):
    """ "Was this helpful?" (KB1): one vote per reader and translation; a reader may change it."""

    translation = models.ForeignKey(Translation, on_delete=models.CASCADE, related_name="votes")
    helpful = models.BooleanField()
    comment = models.TextField(blank=True)
    # A signed-in customer, or a hash of the anonymous reader's session.
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reader = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["translation", "reader"], name="kb_vote_once_per_reader")]
        indexes = [models.Index(fields=["created_at"], name="kb_vote_created")]

    def __str__(self) -> str:
        return f"{'+' if self.helpful else '-'} {self.translation_id}"


class SearchSource(models.TextChoices):
    HELP_CENTRE = "help_centre", _("Help centre")
    TICKET_FORM = "ticket_form", _("Portal ticket form")
    AGENT = "agent", _("Agent")
    API = "api", _("API")


class Search(models.Model):
    """A search someone made (KB2 analytics): what, in which language, how many results, and
    which result they opened."""

    query = models.CharField(max_length=200)
    normalised = models.CharField(max_length=200)  # lower-case, accents removed: top searches group on it
    locale = models.CharField(max_length=10)
    source = models.CharField(max_length=20, choices=SearchSource.choices)
    results = models.PositiveIntegerField()
    clicked = models.ForeignKey(Translation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["created_at", "normalised"], name="kb_search_created"),
            models.Index(fields=["created_at"], name="kb_search_no_result", condition=Q(results=0)),
        ]

    def __str__(self) -> str:
        return self.query


class ChangelogEntry(models.Model):
    """A release note (KB7), in one language; entries are listed newest first and in a feed."""

    locale = models.CharField(_("language"), max_length=10, default="en")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body (Markdown)"), blank=True)
    html = models.TextField(blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    published_on = models.DateField(_("date"))
    is_published = models.BooleanField(_("published"), default=False)
    # When subscribers were e-mailed about it (once).
    announced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-published_on", "-pk"]
        verbose_name_plural = "changelog entries"

    def __str__(self) -> str:
        return self.title


class ChangelogSubscription(models.Model):
    """An e-mail address that gets release notes, once it confirmed (double opt-in)."""

    email = models.EmailField(unique=True)  # lower-case
    locale = models.CharField(max_length=10, default="en")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.email


# --- search index
# Written only by kb/search.py (decision 0014). The index is ordinary tables, so that SQLite and
# PostgreSQL run the same SQL and rank the same way: terms are stems per language (lower-case, accents
# removed), postings say how often a term is in a translation, and BM25 is summed over the postings of
# the query's terms. Derived data: `search.reindex_all()` rebuilds it from the translations.


class SearchLocale(models.Model):
    """Per language: how many translations the index holds and their total length (BM25's N and
    average length), and the language's bit in the masks below. A search reads these rows;
    indexing locks them all, so index writers take turns (they share terms' counts and masks)."""

    locale = models.CharField(max_length=10, primary_key=True)
    bit = models.PositiveSmallIntegerField(unique=True)  # 0–62
    documents = models.PositiveIntegerField(default=0)
    length = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return self.locale


class SearchTerm(models.Model):
    """A stem in one language and the number of indexed translations that contain it (df)."""

    locale = models.CharField(max_length=10)
    term = models.CharField(max_length=64)
    df = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # Also the index of the query's lookup of its words' terms.
            models.UniqueConstraint(fields=["locale", "term"], name="kb_searchterm_once"),
        ]

    def __str__(self) -> str:
        return f"{self.locale}:{self.term}"


class SearchWord(models.Model):
    """A word as written in some translation (lower-case, accents removed) and its term: typo
    correction looks up the words one edit away from an unknown one here."""

    locale = models.CharField(max_length=10)
    word = models.CharField(max_length=64)
    spelling = models.CharField(max_length=64)  # as first written, with its accents: what "did you mean" shows
    term = models.ForeignKey(SearchTerm, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            # Also the index of the correction's lookup (word IN the one-edit variants).
            models.UniqueConstraint(fields=["word", "locale"], name="kb_searchword_once"),
        ]

    def __str__(self) -> str:
        return f"{self.locale}:{self.word}"


class SearchDocument(models.Model):
    """An indexed translation. No database constraint ties it to the translation: a deleted
    translation stays here until `unindex_translation` (run after commit) removes it and its counts."""

    translation = models.OneToOneField(
        Translation, primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    article = models.ForeignKey(
        Article, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    locale = models.CharField(max_length=10)
    published = models.BooleanField()
    length = models.PositiveIntegerField()  # indexed words, the title's counted TITLE_WEIGHT times
    # The languages (SearchLocale.bit) in which the article has a published / any indexed
    # translation: a reader gets a translation in another language only when theirs is not there.
    published_in = models.BigIntegerField(default=0)
    indexed_in = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            # An article's translations: their masks are kept in step (kb.search._update_masks).
            models.Index(fields=["article"], name="kb_searchdoc_article"),
        ]

    def __str__(self) -> str:
        return f"document {self.pk}"


class SearchPosting(models.Model):
    """A term in a translation: its weighted frequency, with the translation's length, visibility,
    published flag and language masks copied in, so that ranking reads nothing but the covering
    index below."""

    pk = models.CompositePrimaryKey("document", "term")  # also serves "remove a document's postings"
    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    term = models.ForeignKey(SearchTerm, on_delete=models.CASCADE, db_constraint=False, related_name="+")
    tf = models.PositiveIntegerField()
    length = models.PositiveIntegerField()
    visibility = models.CharField(max_length=10, choices=Visibility.choices)
    published = models.BooleanField()
    published_in = models.BigIntegerField(default=0)
    indexed_in = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            # The ranking query: postings of the query's terms (read whole, or looked up per
            # candidate translation), filtered, with what BM25 needs.
            models.Index(
                fields=["term", "published", "document", "visibility", "tf", "length", "published_in", "indexed_in"],
                name="kb_searchposting_rank",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term_id} in {self.document_id}"
