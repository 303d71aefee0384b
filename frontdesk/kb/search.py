"""Knowledge-base search (KB2): the same ranked results on SQLite and PostgreSQL (decision 0014).

Text becomes terms in Python: words are lower-cased, stopwords dropped, and each word gives the
Snowball stem of itself and of its accent-free form (both with accents removed), so "información"
and "informacion" meet. The index is ordinary tables (`kb.models`, "search index"): terms with their
document frequency, postings with the weighted term frequency (a title word counts TITLE_WEIGHT
times), documents. A search is two SQL statements: the languages' counts with the query's terms,
then the ranking, which sums BM25 (k1 1.2, b 0.75) over the postings of the query's terms in
integer arithmetic, so both databases compute the very same scores; ties go to the lower
translation id. Terms in more than COMMON_SHARE of a language's translations only add
to the scores of the translations that the query's rarer terms find (Lucene's common terms).

A query word that no language knows is corrected to the most frequent known word one edit away
(insert, delete, substitute, transpose), preferring the reader's language. The query is stemmed
for each language's documents with that language's stemmer: documents in the reader's language
come first, then articles that have no translation the reader may see in their language (told by
language bitmasks on the postings).
"""

import html
import itertools
import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import snowballstemmer
from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Model

from frontdesk.kb.models import (
    ArticleStatus,
    Search,
    SearchDocument,
    SearchLocale,
    SearchPosting,
    SearchTerm,
    SearchWord,
    Translation,
)

K1 = 1.2
B = 0.75
TITLE_WEIGHT = 3  # a word in the title counts as three in the body
MAX_QUERY_WORDS = 16
SUGGEST_WORDS = 8  # the most telling words of a long text that `suggest` searches for
SUGGEST_TOKENS = 300  # distinct words of a long text looked up at most
CORRECT_MIN_LENGTH = 4  # shorter words have too many neighbours one edit away
MAX_CORRECTIONS = 4  # unknown words corrected in one query
# A term in more than this share of its language's translations (and in at least COMMON_MIN_DF) only
# adds to the scores of translations found by the query's other terms (see _rank).
COMMON_SHARE = 0.2
COMMON_MIN_DF = 500
SNIPPET_CHARS = 200  # about 30 words
SNIPPET_LEAD = 40  # characters shown before the first match
MAX_TERM = 64
BATCH = 500  # translations per batch in reindex_all
REINDEX_CACHE_KB = 256 * 1024  # SQLite's page cache while reindex_all writes

# Integer BM25. With A the average document length, L the document's and tf the term's frequency,
# tf·(k1+1) / (tf + k1·(1 − b + b·L/A)) = tf·2200·A / (1000·tf·A + 300·A + 900·L). The idf is sent
# multiplied by 1000 and rounded, and the quotient taken times 1000: a score is BM25 × 1,000,000,
# summed from integers, the same on every database.
_NUMERATOR = round((K1 + 1) * 1000)  # 2200
_CONSTANT = round(K1 * (1 - B) * 1000)  # 300
_PER_LENGTH = round(K1 * B * 1000)  # 900
SCORE_SCALE = 1_000_000


# --- text to terms ----------------------------------------------------------------------------


_EXTRA_FOLDS = {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ŀ": "l"}


def _fold_char(char: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)).lower()
    if len(base) == 1:
        return _EXTRA_FOLDS.get(base, base)
    lower = char.lower()
    return lower if len(lower) == 1 else char


class _FoldTable(dict[int, str]):
    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


_FOLD = _FoldTable()


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
FOLD_REPLACE = 32  # distinct non-ASCII characters up to which a text is folded by replacing each


def fold(text: str) -> str:
    """Lower case without accents, one character for one (positions in the result are those of
    the original): "Información" → "informacion", "Raktų" → "raktu"."""
    if text.isascii():
        return text.lower()
    # A Latin-script text has a few distinct accented letters: replacing each (str.replace) is three
    # times faster than translating every character. A folded character is lower case and folds to
    # itself, so the replacements do not interfere and lower() then changes only ASCII letters.
    chars = set(_NON_ASCII.findall(text))
    if len(chars) > FOLD_REPLACE:
        return text.translate(_FOLD)
    for char in chars:
        text = text.replace(char, _FOLD[ord(char)])
    return text.lower()


def normalise(query: str) -> str:
    """What top searches group on: lower case, no accents, single spaces."""
    return " ".join(fold(query).split())[:200]


# Words with an apostrophe are split at it ("guest's" → "guest"); hyphenated words give their parts
# and the joined word ("Wi-Fi" → "wi", "fi", "wifi"), so "wifi" finds "Wi-Fi" and the other way round.
_TOKEN = re.compile(r"[^\W_]+(?:[-‐'’][^\W_]+)*")
_APOSTROPHE = re.compile(r"['’]")
_HYPHEN = re.compile(r"[-‐]")
_COMPOUND = re.compile(r"[^\W_]+(?:[-‐][^\W_]+)+")
_WORD_END = re.compile(r"\w*")


def tokens(text: str) -> Iterator[tuple[str, bool]]:
    """(word in lower case, whether it counts towards the length) for each word of `text`."""
    for match in _TOKEN.finditer(text.lower()):
        chunk = match.group()
        if chunk.isalnum():  # most words: no hyphen, no apostrophe
            if (len(chunk) > 1 or chunk.isdigit()) and len(chunk) <= MAX_TERM:
                yield chunk, True
            continue
        for segment in _APOSTROPHE.split(chunk):
            parts = [part for part in _HYPHEN.split(segment) if len(part) > 1 or part.isdigit()]
            for part in parts:
                if len(part) <= MAX_TERM:
                    yield part, True
            if len(parts) > 1 and len(joined := "".join(parts)) <= MAX_TERM:
                yield joined, False


def _stopwords(*words: str) -> frozenset[str]:
    return frozenset(fold(word) for text in words for word in text.split())


# Small lists of the words that say nothing about an article: not indexed, dropped from queries.
STOPWORDS = {
    "en": _stopwords(
        "a an the and or but if then else of at by for with about against between into through during before",
        "after above below to from up down in out on off over under again further here there when where why",
        "how all any both each few more most other some such no nor not only own same so than too very can",
        "will just should now i me my myself we our ours ourselves you your yours yourself yourselves he him",
        "his himself she her hers herself it its itself they them their theirs themselves what which who whom",
        "this that these those am is are was were be been being have has had having do does did doing would",
        "could may might must shall as until while also",
    ),
    "es": _stopwords(
        "de la que el en y a los del se las por un para con no una su al lo como más pero sus le ya o este sí",
        "porque esta entre cuando muy sin sobre también me hasta hay donde quien desde todo nos durante todos",
        "uno les ni contra otros ese eso ante ellos e esto mí antes algunos qué unos yo otro otras otra él",
        "tanto esa estos mucho quienes nada muchos cual poco ella estar estas algunas algo nosotros mi mis tú",
        "te ti tu tus ellas nosotras vosotros vosotras os mío mía míos mías tuyo tuya tuyos tuyas suyo suya",
        "suyos suyas nuestro nuestra nuestros nuestras vuestro vuestra vuestros vuestras esos esas estoy estás",
        "está estamos estáis están es son soy eres somos sois era eran fue fueron ser ha han he has hemos",
        "cómo dónde cuándo cuál u",
    ),
    "lt": _stopwords(
        "ir ar bet kad tai yra buvo bus kaip kur kas ką kuris kuri kurie kurios su be per prie iki nuo po už",
        "apie dėl į iš ant pas tarp o ne taip jau dar tik net arba jei jeigu nes todėl tačiau aš tu jis ji mes",
        "jūs jie jos mano tavo jo jų mūsų jūsų savo man tau jam jai mums jums jiems joms mane tave jį ją mus",
        "jus juos šis ši tas ta tie šie šios to tą šį šią čia ten kai kada kodėl koks kokia kiek visi visos",
        "viskas labai esu esate esame būti buvo yra",
    ),
}

# Locale (its language part) → Snowball algorithm.
_ALGORITHMS = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech", "da": "danish",
    "nl": "dutch", "en": "english", "eo": "esperanto", "et": "estonian", "fi": "finnish", "fr": "french",
    "de": "german", "el": "greek", "hi": "hindi", "hu": "hungarian", "id": "indonesian", "ga": "irish",
    "it": "italian", "lt": "lithuanian", "ne": "nepali", "nb": "norwegian", "nn": "norwegian",
    "no": "norwegian", "fa": "persian", "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian",
    "sr": "serbian", "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}  # fmt: skip
STEM_CACHE = 50_000  # words per language in a long-running process; cleared when full


class _Entry(NamedTuple):
    terms: tuple[str, ...]
    folded: str
    stopword: bool
    vocabulary: bool  # kept in SearchWord, where typo correction looks


class Language:
    """The analyser of one locale: its stemmer (none for a language Snowball lacks) and stopwords.
    What it makes of a word is cached: pure-Python Snowball takes 20–50 µs a word. The shared
    analysers (`language()`) keep at most `cache` words; reindex_all uses its own, unbounded,
    for the time of the rebuild."""

    def __init__(self, locale: str, *, cache: int | None = STEM_CACHE) -> None:
        base = locale.lower().replace("_", "-").split("-")[0]
        algorithm = _ALGORITHMS.get(base)
        self.stopwords = STOPWORDS.get(base, frozenset())
        self._stemmer = snowballstemmer.stemmer(algorithm) if algorithm in snowballstemmer.algorithms() else None
        self._lock = threading.Lock()  # a Snowball stemmer keeps its word in itself while it works
        self._cache: dict[str, _Entry] = {}
        self._cache_limit = cache

    def entry(self, word: str) -> _Entry:
        """What the index makes of a lower-case word, cached: its terms (the folded stem of the word,
        then that of its accent-free form when it differs: Snowball reads the accents of endings,
        "raktų" and "raktu"), its folded form, and whether it is a stopword."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        folded = fold(word)
        if self._stemmer is None or any(char.isdigit() for char in word):
            terms: tuple[str, ...] = (folded,)
        else:
            with self._lock:
                stem = fold(self._stemmer.stemWord(word))
                plain = fold(self._stemmer.stemWord(folded)) if folded != word else stem
            terms = (stem,) if stem == plain else (stem, plain)
        entry = _Entry(terms, folded, folded in self.stopwords, _correctable(folded))
        if self._cache_limit is not None and len(self._cache) >= self._cache_limit:
            self._cache.clear()
        self._cache[word] = entry
        return entry

    def terms(self, word: str) -> tuple[str, ...]:
        return self.entry(word).terms

    def is_stopword(self, word: str) -> bool:
        return self.entry(word).stopword


def _correctable(folded: str) -> bool:
    return len(folded) >= CORRECT_MIN_LENGTH - 1 and not any(char.isdigit() for char in folded)


_LANGUAGES: dict[str, Language] = {}


def language(locale: str) -> Language:
    found = _LANGUAGES.get(locale)
    if found is None:
        found = _LANGUAGES.setdefault(locale, Language(locale))
    return found


@dataclass
class Analysed:
    """A translation as the index sees it."""

    tf: Counter[str]
    length: int
    # folded word → (spelling: lower case, as first written; the term of the folded word, which is
    # its word's last term)
    words: dict[str, tuple[str, str]]


def analyse(lang: Language, title: str, text: str) -> Analysed:
    tf: Counter[str] = Counter()
    length = 0
    words: dict[str, tuple[str, str]] = {}
    entry = lang.entry
    for weight, source in ((TITLE_WEIGHT, title), (1, text)):
        for word, counted in tokens(source):
            terms, folded, stopword, vocabulary = entry(word)
            if stopword:
                continue
            if counted:
                length += weight
            for term in terms:
                tf[term] += weight
            if vocabulary and folded not in words:
                words[folded] = (word, terms[-1])
    return Analysed(tf=tf, length=length, words=words)


# --- index maintenance -------------------------------------------------------------------------


def index_translation(translation_id: int) -> None:
    """Bring the index in line with the translation: add, replace or remove it (archived or deleted
    translations are not searchable). Runs after the commit that changed it; safe to run twice."""
    row = (
        Translation.objects.filter(pk=translation_id).values_list("locale", "article_id").first()
        or SearchDocument.objects.filter(pk=translation_id).values_list("locale", "article_id").first()
    )
    if row is None:
        return
    locale, article_id = row
    _ensure_locale(locale)
    with transaction.atomic():
        bits = _lock_locales()
        _remove(translation_id)
        translation = (
            Translation.objects.select_related("article")
            .filter(pk=translation_id)
            .exclude(status=ArticleStatus.ARCHIVED)
            .first()
        )
        if translation is not None:
            _add(translation, bits)
        _update_masks(article_id, bits)


def unindex_translation(translation_id: int) -> None:
    """Take a translation out of the index (it is being deleted, or must not be found)."""
    article_id = SearchDocument.objects.filter(pk=translation_id).values_list("article_id", flat=True).first()
    if article_id is None:
        return
    with transaction.atomic():
        bits = _lock_locales()
        _remove(translation_id)
        _update_masks(article_id, bits)


def _ensure_locale(locale: str) -> None:
    """A SearchLocale row, with the first free bit (at most 63 languages), for a new language."""
    if SearchLocale.objects.filter(locale=locale).exists():
        return
    try:
        with transaction.atomic():
            used = set(SearchLocale.objects.values_list("bit", flat=True))
            SearchLocale.objects.create(locale=locale, bit=min(set(range(63)) - used))
    except IntegrityError:
        pass  # another writer added it, or took that bit: then it has its row


def _lock_locales() -> dict[str, int]:
    """Lock every language's row, always in the same order: index writers take turns (they share
    terms' counts, and a translation's status changes its siblings' masks). Returns locale → bit."""
    return dict(SearchLocale.objects.select_for_update().order_by("locale").values_list("locale", "bit"))


def _remove(translation_id: int) -> None:
    document = SearchDocument.objects.filter(pk=translation_id).first()
    if document is None:
        return
    postings = SearchPosting.objects.filter(document_id=translation_id)
    SearchTerm.objects.filter(pk__in=postings.values("term_id")).update(df=F("df") - 1)
    SearchLocale.objects.filter(locale=document.locale).update(
        documents=F("documents") - 1, length=F("length") - document.length
    )
    document.delete()  # and its postings (on_delete=CASCADE: one DELETE, no signals)


def _add(translation: Translation, bits: dict[str, int]) -> None:
    locale = translation.locale
    analysed = analyse(language(locale), translation.title, translation.text or translation.body)
    if not analysed.tf:
        return
    SearchTerm.objects.bulk_create(
        [SearchTerm(locale=locale, term=term) for term in analysed.tf], ignore_conflicts=True
    )
    ids = dict(SearchTerm.objects.filter(locale=locale, term__in=list(analysed.tf)).values_list("term", "pk"))
    SearchTerm.objects.filter(pk__in=list(ids.values())).update(df=F("df") + 1)
    SearchWord.objects.bulk_create(
        [
            SearchWord(locale=locale, word=word, spelling=spelling, term_id=ids[term])
            for word, (spelling, term) in analysed.words.items()
        ],
        ignore_conflicts=True,
    )
    published = translation.status == ArticleStatus.PUBLISHED
    published_in, indexed_in = _masks(
        [
            *SearchDocument.objects.filter(article_id=translation.article_id).values_list("locale", "published"),
            (locale, published),
        ],
        bits,
    )
    visibility = translation.article.visibility
    document = SearchDocument.objects.create(
        translation_id=translation.pk,
        article_id=translation.article_id,
        locale=locale,
        published=published,
        length=analysed.length,
        published_in=published_in,
        indexed_in=indexed_in,
    )
    SearchPosting.objects.bulk_create(
        [
            SearchPosting(
                document=document,
                term_id=ids[term],
                tf=tf,
                length=analysed.length,
                visibility=visibility,
                published=published,
                published_in=published_in,
                indexed_in=indexed_in,
            )
            for term, tf in analysed.tf.items()
        ]
    )
    SearchLocale.objects.filter(locale=locale).update(
        documents=F("documents") + 1, length=F("length") + analysed.length
    )


def _masks(translations: Iterable[tuple[str, bool]], bits: dict[str, int]) -> tuple[int, int]:
    """(published_in, indexed_in) of an article from its indexed translations' (locale, published)."""
    published_in = indexed_in = 0
    for locale, published in translations:
        bit = 1 << bits[locale]
        indexed_in |= bit
        if published:
            published_in |= bit
    return published_in, indexed_in


def _update_masks(article_id: int, bits: dict[str, int]) -> None:
    """Give the article's other translations its new masks, where they changed."""
    documents = list(
        SearchDocument.objects.filter(article_id=article_id).values_list(
            "pk", "locale", "published", "published_in", "indexed_in"
        )
    )
    masks = _masks([(locale, published) for _, locale, published, _, _ in documents], bits)
    stale = [pk for pk, _, _, *current in documents if tuple(current) != masks]
    if stale:
        published_in, indexed_in = masks
        SearchDocument.objects.filter(pk__in=stale).update(published_in=published_in, indexed_in=indexed_in)
        SearchPosting.objects.filter(document_id__in=stale).update(published_in=published_in, indexed_in=indexed_in)


def reindex_all() -> int:
    """Rebuild the whole index from the translations, in one transaction (searches meanwhile see
    the old index). Returns the number of translations indexed."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # The postings' ranking index is written in term order, not in the order rows come:
            # a large page cache keeps that in memory (the default 2 MB makes it 10× slower).
            cursor.execute("PRAGMA cache_size")
            cache_size = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = {-REINDEX_CACHE_KB}")
        for model in (SearchPosting, SearchWord, SearchDocument, SearchTerm, SearchLocale):
            model.objects.all().delete()
        translations = Translation.objects.exclude(status=ArticleStatus.ARCHIVED)
        locales = sorted(set(translations.values_list("locale", flat=True)))
        SearchLocale.objects.bulk_create([SearchLocale(locale=locale, bit=bit) for bit, locale in enumerate(locales)])
        builder = _Builder(bits={locale: bit for bit, locale in enumerate(locales)})
        rows = translations.order_by("article_id", "pk").values_list(
            "pk", "article_id", "locale", "title", "text", "body", "status", "article__visibility"
        )
        batch: list[tuple[Any, ...]] = []
        for row in rows.iterator(chunk_size=BATCH):
            if len(batch) >= BATCH and row[1] != batch[-1][1]:  # an article's translations stay together
                builder.add(batch)
                batch = []
            batch.append(row)
        builder.add(batch)
        builder.finish()
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")
    return builder.documents


@dataclass
class _Builder:
    """reindex_all's writer: rows go straight into the (emptied) tables in batches; terms get their
    ids here as they first appear, and their document counts at the end."""

    bits: dict[str, int]
    documents: int = 0
    languages: dict[str, Language] = field(default_factory=dict)
    terms: dict[tuple[str, str], int] = field(default_factory=dict)
    df: Counter[int] = field(default_factory=Counter)
    words: set[tuple[str, str]] = field(default_factory=set)
    locales: dict[str, list[int]] = field(default_factory=dict)

    def add(self, rows: list[tuple[Any, ...]]) -> None:
        documents, postings, new_terms, new_words = [], [], [], []
        analysed_rows = []
        for pk, article_id, locale, title, text, body, status, visibility in rows:
            lang = self.languages.get(locale) or self.languages.setdefault(locale, Language(locale, cache=None))
            analysed = analyse(lang, title, text or body)
            if analysed.tf:
                analysed_rows.append((pk, article_id, locale, status, visibility, analysed))
        masks: dict[int, list[tuple[str, bool]]] = {}
        for _, article_id, locale, status, _, _ in analysed_rows:
            masks.setdefault(article_id, []).append((locale, status == ArticleStatus.PUBLISHED))
        for pk, article_id, locale, status, visibility, analysed in analysed_rows:
            published_in, indexed_in = _masks(masks[article_id], self.bits)
            published = status == ArticleStatus.PUBLISHED
            documents.append((pk, article_id, locale, published, analysed.length, published_in, indexed_in))
            for term, tf in analysed.tf.items():
                term_id = self.terms.get((locale, term))
                if term_id is None:
                    term_id = self.terms[(locale, term)] = len(self.terms) + 1
                    new_terms.append((term_id, locale, term, 0))
                self.df[term_id] += 1
                postings.append((pk, term_id, tf, analysed.length, visibility, published, published_in, indexed_in))
            for word, (spelling, term) in analysed.words.items():
                if (locale, word) not in self.words:
                    self.words.add((locale, word))
                    new_words.append((locale, word, spelling, self.terms[(locale, term)]))
            counts = self.locales.setdefault(locale, [0, 0])
            counts[0] += 1
            counts[1] += analysed.length
        _insert(SearchTerm, ("id", "locale", "term", "df"), new_terms)
        _insert(SearchWord, ("locale", "word", "spelling", "term_id"), new_words)
        _insert(
            SearchDocument,
            ("translation_id", "article_id", "locale", "published", "length", "published_in", "indexed_in"),
            documents,
        )
        _insert(
            SearchPosting,
            ("document_id", "term_id", "tf", "length", "visibility", "published", "published_in", "indexed_in"),
            postings,
        )
        self.documents += len(documents)

    def finish(self) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {SearchTerm._meta.db_table} SET df = %s WHERE id = %s",  # noqa: S608  # the model's table
                [(df, term_id) for term_id, df in sorted(self.df.items())],
            )
            # Term ids were given here: PostgreSQL's identity sequence must move past them.
            for statement in connection.ops.sequence_reset_sql(no_style(), [SearchTerm]):
                cursor.execute(statement)
        for locale, (documents, length) in self.locales.items():
            SearchLocale.objects.filter(locale=locale).update(documents=documents, length=length)


def _insert(model: type[Model], columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Many rows at once: COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    table = model._meta.db_table
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)  # noqa: S608


# --- searching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    translation_id: int
    article_id: int
    locale: str
    title: str
    url_slug: str  # the translation's slug: /help/<locale>/articles/<article_id>-<url_slug>/
    snippet_html: str  # escaped text, matches in <mark>
    score: float  # BM25
    other_language: bool  # an article with no translation in the reader's language


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    total: int
    corrections: dict[str, str]  # word as typed (lower case) → the word searched for instead


@dataclass
class _Word:
    """A query word and, per language, the known term it is searched as: (term id, term, df)."""

    word: str
    terms: dict[str, tuple[int, str, int]] = field(default_factory=dict)
    corrected: str = ""  # folded, when the word was corrected

    @property
    def folded(self) -> str:
        return self.corrected or fold(self.word)


def search(
    *,
    query: str,
    locale: str,
    visibilities: Sequence[str],
    limit: int = 20,
    offset: int = 0,
    published_only: bool = True,
) -> SearchResult:
    """Translations whose title or body has the query's words, best first: the reader's language,
    then articles only in other languages. `published_only=False` (agents) also finds drafts and
    translations in review."""
    reader = language(locale)
    seen: dict[str, _Word] = {}
    for word, _ in tokens(query):
        if word not in seen and not reader.is_stopword(word) and len(seen) < MAX_QUERY_WORDS:
            seen[word] = _Word(word)
    words = list(seen.values())
    stats, corrections = _plan(words, reader=locale, correct=True) if words and visibilities else ({}, {})
    if not stats:
        return SearchResult(hits=[], total=0, corrections={})
    ranked, total = _rank(
        words,
        reader=locale,
        stats=stats,
        visibilities=visibilities,
        published_only=published_only,
        limit=max(1, min(limit, 100)),
        offset=max(0, offset),
    )
    return SearchResult(hits=_hits(ranked, words), total=total, corrections=corrections)


def suggest(
    *, text: str, locale: str, visibilities: Sequence[str], limit: int = 5, exclude_article_ids: Iterable[int] = ()
) -> list[Hit]:
    """Published articles for a long text (a ticket's subject and body, a half-written ticket
    form): searched for its most telling words, those frequent in the text and rare in the
    knowledge base. No typo correction: a long text has enough words."""
    reader = language(locale)
    counts = Counter(
        word for word, _ in tokens(text) if len(word) >= CORRECT_MIN_LENGTH - 1 and not reader.is_stopword(word)
    )
    words = [_Word(word) for word, _ in counts.most_common(SUGGEST_TOKENS)]
    stats, _ = _plan(words, reader=locale) if words and visibilities else ({}, {})
    if not stats:
        return []

    def telling(word: _Word) -> tuple[int, str]:
        idf = max(_idf(stats[loc][0], df) for loc, (_, _, df) in word.terms.items())
        return (-counts[word.word] * idf, word.word)

    chosen = sorted((word for word in words if word.terms), key=telling)[:SUGGEST_WORDS]
    exclude = set(exclude_article_ids)
    ranked, _ = _rank(
        chosen,
        reader=locale,
        stats=stats,
        visibilities=visibilities,
        published_only=True,
        limit=max(1, limit) + len(exclude),
        offset=0,
    )
    return [hit for hit in _hits(ranked, chosen) if hit.article_id not in exclude][:limit]


class _Stats(NamedTuple):
    documents: int
    length: int
    bit: int


# The languages the last lookup found (in this process): the next query is stemmed for them, so that
# the languages' counts and the query's terms come in one statement. Only a guess: a lookup that
# finds other languages looks their terms up with a second statement.
_LOCALES: tuple[str, ...] = ()


def _idf(documents: int, df: int) -> int:
    """BM25's idf (never negative), times 1000 and rounded: computed in Python, sent as an integer."""
    documents = max(documents, df)
    return round(1000 * math.log(1 + (documents - df + 0.5) / (df + 0.5)))


def _plan(words: list[_Word], *, reader: str, correct: bool = False) -> tuple[dict[str, _Stats], dict[str, str]]:
    """The languages that have translations (locale → counts), each word's term in each of them
    (`word.terms`: stemmed by that language, stopwords left out) and, with `correct`, the
    corrections of words that no language knows."""
    global _LOCALES
    guess = _LOCALES
    candidates = _candidates(words, guess)
    stats, known = _lookup(candidates, guess, with_stats=True)
    locales = tuple(sorted(stats))
    if locales != guess:
        _LOCALES = locales
        new = [locale for locale in locales if locale not in guess]
        if new:  # a language this process had not seen: its terms are looked up now
            more = _candidates(words, new)
            candidates.update(more)
            known.update(_lookup(more, new)[1])
    for word in words:
        for locale in locales:
            for term in candidates.get((word.word, locale), ()):
                if (locale, term) in known:
                    pk, df = known[(locale, term)]
                    word.terms[locale] = (pk, term, df)
                    break
    corrections: dict[str, str] = {}
    if correct and locales:
        unknown = [
            word
            for word in words
            if not word.terms and len(word.folded) >= CORRECT_MIN_LENGTH and not any(c.isdigit() for c in word.word)
        ]
        corrections = _correct(unknown[:MAX_CORRECTIONS], reader=reader, locales=list(locales))
    return stats, corrections


def _candidates(words: list[_Word], locales: Iterable[str]) -> dict[tuple[str, str], tuple[str, ...]]:
    """(word, locale) → the terms the word may be known as in that language (none for a stopword)."""
    found = {}
    for locale in locales:
        lang = language(locale)
        for word in words:
            entry = lang.entry(word.word)
            if not entry.stopword:
                found[(word.word, locale)] = entry.terms
    return found


def _lookup(
    candidates: dict[tuple[str, str], tuple[str, ...]], locales: Sequence[str], *, with_stats: bool = False
) -> tuple[dict[str, _Stats], dict[tuple[str, str], tuple[int, int]]]:
    """With `with_stats`, every language that has translations: its translations indexed, their
    total length and its mask bit; and (locale, term) → (term id, df) of the candidates known in
    `locales`. One statement."""
    wanted = sorted({term for terms in candidates.values() for term in terms})
    parts, params = [], []
    if with_stats:
        parts.append(
            f"SELECT 0, locale, '', documents, length, bit FROM {SearchLocale._meta.db_table} WHERE documents > 0"  # noqa: S608
        )
    if wanted and locales:
        parts.append(
            f"SELECT 1, locale, term, df, id, 0 FROM {SearchTerm._meta.db_table} "  # noqa: S608
            f"WHERE term IN ({_placeholders(wanted)}) AND locale IN ({_placeholders(locales)}) AND df > 0"
        )
        params += [*wanted, *sorted(locales)]
    stats: dict[str, _Stats] = {}
    known: dict[tuple[str, str], tuple[int, int]] = {}
    if not parts:
        return stats, known
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for kind, locale, term, first, second, third in cursor.fetchall():
            if kind == 0:
                stats[locale] = _Stats(first, second, third)
            else:
                known[(locale, term)] = (second, first)
    return stats, known


_CYRILLIC = "абвгдежзиклмнопрстуфхцчшщъыьэюяєії"
_GREEK = "αβγδεζηθικλμνξοπρσςτυφχψω"


def _alphabet(word: str) -> str:
    letters = set("abcdefghijklmnopqrstuvwxyz") | set(word)
    if any("а" <= char <= "я" or char in "єії" for char in word):
        letters |= set(_CYRILLIC)
    if any("α" <= char <= "ω" for char in word):
        letters |= set(_GREEK)
    return "".join(sorted(letters))


def edits(word: str) -> set[str]:
    """Every string one edit from `word` (Damerau: delete, transpose, substitute, insert)."""
    alphabet = _alphabet(word)
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    found = {left + right[1:] for left, right in splits if right}
    found |= {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
    found |= {left + char + right[1:] for left, right in splits if right for char in alphabet}
    found |= {left + char + right for left, right in splits for char in alphabet}
    found.discard(word)
    return found


def _correct(unknown: list[_Word], *, reader: str, locales: list[str]) -> dict[str, str]:
    """Replace each unknown word by the known word one edit away that is in the most translations
    of the reader's language (else of any language); ties go to the alphabetically first word.
    Found by looking the word's variants up in SearchWord's index, not by reading the vocabulary."""
    if not unknown:
        return {}
    variants = {word.word: edits(word.folded) for word in unknown}
    everything = sorted(set().union(*variants.values()))
    # One statement: the variants looked up in SearchWord's unique index, each word found with its
    # term (scalar subqueries: a plain join of the variants lets PostgreSQL hash the whole term table).
    # PostgreSQL expects a row for each of the ~500 variants: on a vocabulary of some 100,000 words it
    # then reads the whole table (15 ms) rather than look each up (under 1 ms), unless each variant
    # is looked up on its own (LATERAL, which SQLite lacks; its planner keeps to the index anyway).
    table, terms = SearchWord._meta.db_table, SearchTerm._meta.db_table
    wanted = f"w.locale IN ({_placeholders(locales)})"
    if connection.vendor == "postgresql":
        source = (
            f"(VALUES {', '.join(['(%s)'] * len(everything))}) v (word) CROSS JOIN LATERAL "  # noqa: S608
            f"(SELECT w.word, w.locale, w.spelling, w.term_id FROM {table} w WHERE w.word = v.word AND {wanted} "
            "OFFSET 0) w"
        )
    else:
        source = f"{table} w WHERE w.word IN ({_placeholders(everything)}) AND {wanted}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT w.word, w.locale, w.spelling, w.term_id, "  # noqa: S608
            f"(SELECT t.term FROM {terms} t WHERE t.id = w.term_id), "
            f"(SELECT t.df FROM {terms} t WHERE t.id = w.term_id) FROM {source}",
            [*everything, *locales],
        )
        rows = cursor.fetchall()
    found: dict[str, dict[str, tuple[str, int, str, int]]] = {}
    for known, locale, spelling, term_id, term, df in rows:
        if df:  # a word whose term is in no translation any more is not known
            found.setdefault(known, {})[locale] = (spelling, term_id, term, df)

    def preference(candidate: str) -> tuple[bool, int, str]:
        by_locale = found[candidate]
        if reader in by_locale:
            return (False, -by_locale[reader][3], candidate)
        return (True, -max(row[3] for row in by_locale.values()), candidate)

    corrections = {}
    for word in unknown:
        options = [candidate for candidate in variants[word.word] if candidate in found]
        if not options:
            continue
        best = min(options, key=preference)
        by_locale = found[best]
        word.corrected = best
        word.terms = {locale: (term_id, term, df) for locale, (_, term_id, term, df) in by_locale.items()}
        corrections[word.word] = by_locale.get(reader, by_locale[min(by_locale)])[0]
    return corrections


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


class _Ranked(NamedTuple):
    """A result of `_rank`: its score × 1,000,000, whether it is in another language than the
    reader's, and what its hit shows."""

    translation_id: int
    score: int
    other: bool
    article_id: int
    locale: str
    title: str
    slug: str
    text: str


def _rank(
    words: list[_Word],
    *,
    reader: str,
    stats: dict[str, _Stats],
    visibilities: Sequence[str],
    published_only: bool,
    limit: int,
    offset: int,
) -> tuple[list[_Ranked], int]:
    """One page of results, with what their hits show, and the number of results.

    One statement, the same on both databases. BM25 is summed per translation over the postings of
    the query's terms, in integers only, so the sums are exact. Translations in the reader's
    language come first, then, for articles without a translation the reader may see in their
    language (the postings' language masks say so), the best of their other translations.

    In each of the two groups, when some of the query's terms are selective (in at most
    COMMON_SHARE of their language's translations), only translations with one of them are
    results, and the common terms add to their scores (looked up per translation). When all of
    them are common, the rarest finds the results: every term's postings are then read once and
    summed per translation, keeping those the rarest is in. A term in most translations says little
    about them, and reading its postings is what costs: BM25 sums over the postings read."""
    weights: dict[int, int] = {}
    groups: dict[bool, list[int]] = {False: [], True: []}  # other language? → term ids
    selective: dict[bool, list[int]] = {False: [], True: []}
    rarest: dict[bool, tuple[int, int]] = {}  # other language? → (df, term id)
    for word in words:
        for locale, (term_id, _, df) in word.terms.items():
            documents = stats[locale].documents
            weights[term_id] = _idf(documents, df)
            other = locale != reader
            groups[other].append(term_id)
            rarest[other] = min(rarest.get(other, (df, term_id)), (df, term_id))
            if df <= max(COMMON_MIN_DF, COMMON_SHARE * documents):
                selective[other].append(term_id)
    if not weights:
        return [], 0
    documents = sum(stat.documents for stat in stats.values())
    average = max(1, round(sum(stat.length for stat in stats.values()) / documents))
    term_ids = sorted(weights)
    visibilities = sorted(set(visibilities))
    published = [True] if published_only else [False, True]
    mask = "published_in" if published_only else "indexed_in"
    bit = 1 << stats[reader].bit if reader in stats else 0
    postings = SearchPosting._meta.db_table
    whens = " ".join(["WHEN %s THEN %s"] * len(term_ids))

    def score(p: str, *, summed: bool = True) -> str:  # BM25 × 1,000,000 of the postings aliased `p`
        # Each posting's share is below 2^31: summed as INTEGER, PostgreSQL adds in int8, not numeric.
        share = (
            f"CAST(CAST(CASE {p}.term_id {whens} END AS BIGINT) * {p}.tf * CAST(%s AS BIGINT) "
            f"/ (CAST(%s AS BIGINT) * {p}.tf + CAST(%s AS BIGINT) + CAST(%s AS BIGINT) * {p}.length) AS INTEGER)"
        )
        return f"SUM({share})" if summed else share

    score_params: list[Any] = [value for term_id in term_ids for value in (term_id, weights[term_id])]
    score_params += [_NUMERATOR * average * 1000, 1000 * average, _CONSTANT * average, _PER_LENGTH]

    def group(other: bool) -> tuple[str, list[Any]]:
        ids = sorted(set(groups[other]))
        # Only common terms: the rarest of them finds the results.
        chosen = sorted(set(selective[other])) or [rarest[other][1]]
        filters = f"AND q.published IN ({_placeholders(published)}) AND q.visibility IN ({_placeholders(visibilities)})"
        filter_params: list[Any] = [*published, *visibilities]
        if other:
            filters += f" AND (q.{mask} & %s) = 0"
            filter_params.append(bit)
            count = (  # one result per article
                f"SELECT COUNT(DISTINCT d.article_id) FROM {SearchDocument._meta.db_table} d "  # noqa: S608
                f"WHERE d.translation_id IN (SELECT q.document_id FROM {postings} q "
                f"WHERE q.term_id IN ({_placeholders(chosen)}) {filters})"
            )
        else:
            distinct = "DISTINCT q.document_id" if len(chosen) > 1 else "*"  # one posting per term and translation
            count = (
                f"SELECT COUNT({distinct}) FROM {postings} q "  # noqa: S608
                f"WHERE q.term_id IN ({_placeholders(chosen)}) {filters}"
            )
        counts.append((count, [*chosen, *filter_params]))
        if not selective[other] and chosen != ids:
            # Only common terms: the rarest finds the results, and they are most of the others'
            # translations. Every term's postings are read once and summed per translation: looking
            # them up for each of the rarest's translations (a probe per term and translation) took
            # up to twice as long on the bench data set, on both databases.
            sql = (
                f"SELECT q.document_id AS id, {score('q')} AS score FROM {postings} q "  # noqa: S608
                f"WHERE q.term_id IN ({_placeholders(ids)}) {filters} GROUP BY q.document_id "
                f"HAVING MAX(CASE WHEN q.term_id = %s THEN 1 ELSE 0 END) = 1"
            )
            return sql, [*score_params, *ids, *filter_params, *chosen]
        if chosen != ids:  # results: translations with a selective term; every term's postings looked up for them
            sql = (
                f"SELECT p.document_id AS id, {score('p')} AS score FROM "  # noqa: S608
                f"(SELECT DISTINCT q.document_id FROM {postings} q WHERE q.term_id IN ({_placeholders(chosen)}) "
                f"{filters}) c JOIN {postings} p ON p.document_id = c.document_id "
                f"AND p.term_id IN ({_placeholders(ids)}) AND p.published IN ({_placeholders(published)}) "
                "GROUP BY p.document_id"
            )
            return sql, [*score_params, *chosen, *filter_params, *ids, *published]
        if len(ids) == 1:  # one posting per translation: nothing to add up
            sql = (
                f"SELECT q.document_id AS id, {score('q', summed=False)} AS score FROM {postings} q "  # noqa: S608
                f"WHERE q.term_id = %s {filters}"
            )
            return sql, [*score_params, *ids, *filter_params]
        sql = (
            f"SELECT q.document_id AS id, {score('q')} AS score FROM {postings} q "  # noqa: S608
            f"WHERE q.term_id IN ({_placeholders(ids)}) {filters} GROUP BY q.document_id"
        )
        return sql, [*score_params, *ids, *filter_params]

    parts, params = [], []
    counts: list[tuple[str, list[Any]]] = []
    if groups[False]:
        sql, group_params = group(False)
        parts.append(f"SELECT id, score, 0 AS other FROM ({sql}) mine")  # noqa: S608  # built above from parameters
        params += group_params
    if groups[True]:
        sql, group_params = group(True)
        parts.append(
            "SELECT id, score, 1 AS other FROM ("  # noqa: S608  # one translation per article: its best
            "SELECT m.id, m.score, ROW_NUMBER() OVER (PARTITION BY d.article_id ORDER BY m.score DESC, m.id) AS best "
            f"FROM ({sql}) m JOIN {SearchDocument._meta.db_table} d ON d.translation_id = m.id"
            ") elsewhere WHERE best = 1"
        )
        params += group_params
    # The number of results is counted apart (a window count would make both databases keep
    # every scored row): distinct translations, and distinct articles in other languages.
    total = " + ".join(f"({count})" for count, _ in counts)
    params = [value for _, count_params in counts for value in count_params] + params  # the counts come first
    # The page's translations are read in the same statement; one without plain text (not rendered
    # yet) gives its Markdown source for the snippet. One deleted since (unindex_translation is on
    # its way) comes without a title and is left out.
    sql = (
        "SELECT page.id, page.score, page.other, page.total, t.article_id, t.locale, t.title, t.slug, "  # noqa: S608
        "COALESCE(NULLIF(t.text, ''), t.body) FROM ("
        f"SELECT id, score, other, {total} AS total FROM ({' UNION ALL '.join(parts)}) found "
        "ORDER BY other, score DESC, id LIMIT %s OFFSET %s"
        f") page LEFT JOIN {Translation._meta.db_table} t ON t.id = page.id "
        "ORDER BY page.other, page.score DESC, page.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit, offset])
        rows = cursor.fetchall()
        if not rows and offset:
            cursor.execute(sql, [*params, 1, 0])
            first = cursor.fetchone()
            return [], int(first[3]) if first else 0
    found = [
        _Ranked(int(pk), int(score), bool(other), article_id, locale, title, slug, text)
        for pk, score, other, _, article_id, locale, title, slug, text in rows
        if title is not None
    ]
    return found, int(rows[0][3]) if rows else 0


def _hits(ranked: list[_Ranked], words: list[_Word]) -> list[Hit]:
    highlighters: dict[str, _Highlighter] = {}
    hits = []
    for pk, score, other, article_id, locale, title, slug, text in ranked:
        highlighter = highlighters.get(locale)
        if highlighter is None:
            highlighter = highlighters[locale] = _Highlighter(locale, words)
        hits.append(
            Hit(
                translation_id=pk,
                article_id=article_id,
                locale=locale,
                title=title,
                url_slug=slug,
                snippet_html=highlighter.snippet(text),
                score=score / SCORE_SCALE,
                other_language=other,
            )
        )
    return hits


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


class _Highlighter:
    """Finds the query's words in a translation's plain text (a word matches when one of its terms
    is the term searched for) and cuts the window of about 30 words with the most of them."""

    def __init__(self, locale: str, words: list[_Word]) -> None:
        self.language = language(locale)
        self.wanted: dict[str, int] = {}  # term → which query word
        prefixes = set()
        for n, word in enumerate(words):
            if locale in word.terms:
                term = word.terms[locale][1]
                self.wanted[term] = n
                # Stems are mostly prefixes of their words; candidates are then checked by stemming.
                prefix = _common_prefix(word.folded, term)
                prefixes.add(prefix if len(prefix) >= 2 else word.folded)
        self.prefixes = sorted(prefixes)

    def marks(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, query word) of each match, in order, at most 200."""
        folded = fold(text)  # the same length as the text
        found: dict[int, tuple[int, int, int]] = {}
        for prefix in self.prefixes:
            start = folded.find(prefix)
            while start != -1 and len(found) < 200:
                if start == 0 or not folded[start - 1].isalnum():
                    end = _WORD_END.match(folded, start + len(prefix)).end()  # type: ignore[union-attr]  # \w* matches
                    word = self._word(text[start:end].lower())
                    if word >= 0:
                        found[start] = (start, end, word)
                start = folded.find(prefix, start + 1)
        # A hyphenated word found as the joined word ("wifi" in "Wi-Fi") is marked whole.
        if "-" in text or "‐" in text:
            for match in _COMPOUND.finditer(text):
                start, end = match.span()
                word = self._word(_HYPHEN.sub("", match.group().lower()))
                if word >= 0:
                    for inside in [at for at in found if start <= at < end]:
                        del found[inside]
                    found[start] = (start, end, word)
        return sorted(found.values())[:200]

    def _word(self, word: str) -> int:
        """Which query word `word` is (-1: none)."""
        for term in self.language.terms(word):
            if term in self.wanted:
                return self.wanted[term]
        return -1

    def snippet(self, text: str) -> str:
        marks = self.marks(text)
        best, best_key = 0, (0, 0)
        for i, (start, _, _) in enumerate(marks):
            limit = start + SNIPPET_CHARS - SNIPPET_LEAD
            inside = []
            for mark in itertools.islice(marks, i, None):  # in order of start; none ends before it starts
                if mark[0] > limit:
                    break
                if mark[1] <= limit:
                    inside.append(mark)
            key = (len({mark[2] for mark in inside}), len(inside))
            if key > best_key:
                best, best_key = i, key
        anchor = marks[best][0] if marks else 0
        begin = max(0, anchor - SNIPPET_LEAD)
        if begin:
            space = text.find(" ", begin, anchor)
            begin = space + 1 if space != -1 else anchor
        end = min(len(text), begin + SNIPPET_CHARS)
        if end < len(text):
            space = text.rfind(" ", begin, end)
            end = space if space > begin else end
        parts = ["…"] if begin else []
        position = begin
        for start, stop, _ in marks:
            if start >= position and stop <= end:
                parts += [html.escape(text[position:start]), "<mark>", html.escape(text[start:stop]), "</mark>"]
                position = stop
        parts.append(html.escape(text[position:end]))
        if end < len(text):
            parts.append("…")
        return " ".join("".join(parts).split())


# --- analytics ---------------------------------------------------------------------------------


def search_log(*, query: str, locale: str, source: str, results: int, now: datetime) -> Search:
    """Record a search (top searches group on its normalised form; `results` 0 is a search with no
    result)."""
    return Search.objects.create(
        query=query[:200],
        normalised=normalise(query),
        locale=locale[:10],
        source=source,
        results=results,
        created_at=now,
    )


def search_click(*, search_id: int, translation_id: int) -> None:
    """Record the result a search led to (its first click counts: click-through is the share of
    searches with one). A search or translation that no longer exists is ignored: a reader's page
    must not fail for analytics."""
    if Translation.objects.filter(pk=translation_id).exists():
        Search.objects.filter(pk=search_id, clicked__isnull=True).update(clicked_id=translation_id)
