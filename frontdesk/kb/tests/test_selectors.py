from datetime import timedelta
from typing import Any

import pytest

from frontdesk.accounts.models import Role
from frontdesk.accounts.tests.factories import ContactFactory, UserFactory
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationError
from frontdesk.kb.models import ArticleStatus, Search, SearchSource, Translation, Visibility
from frontdesk.kb.selectors import (
    Reader,
    access_article,
    access_article_file,
    best_translation,
    category_tree,
    editor_articles,
    search_analytics,
    section_articles,
    translation_versions,
    usefulness,
    version_diff,
    visibilities_for,
)
from frontdesk.kb.services import (
    article_file_add,
    translation_restore,
    translation_save,
    translation_set_status,
    vote_record,
)
from frontdesk.kb.tests.factories import SectionFactory, article, editor, translate
from frontdesk.tickets.tests.factories import NOW

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def reader(kind: str) -> Reader:
    if kind == "agent":
        return Reader(agent=UserFactory.create(role=Role.LIGHT_AGENT))
    if kind == "customer":
        return Reader(contact=ContactFactory.create())
    return Reader()


# --- who sees what ------------------------------------------------------------------------------------


def test_each_kind_of_reader_has_its_visibilities() -> None:
    assert visibilities_for(Reader()) == ("public",)
    assert visibilities_for(reader("customer")) == ("public", "customers")
    assert visibilities_for(reader("agent")) == ("public", "customers", "internal")
    assert visibilities_for(Reader(agent=UserFactory.create(is_active=False))) == ("public",)


VISIBLE_PUBLISHED = {
    ("anonymous", Visibility.PUBLIC),
    ("customer", Visibility.PUBLIC),
    ("customer", Visibility.CUSTOMERS),
    ("agent", Visibility.PUBLIC),
    ("agent", Visibility.CUSTOMERS),
    ("agent", Visibility.INTERNAL),
}


# Customers and anonymous readers see published articles of their visibilities only; agents see
# every article in every status (a preview). The rest does not exist for them.
MATRIX = [
    (kind, visibility, status)
    for kind in ("anonymous", "customer", "agent")
    for visibility in Visibility
    for status in ArticleStatus
]
VISIBLE = [
    (kind, visibility, status)
    for kind, visibility, status in MATRIX
    if (kind, visibility) in VISIBLE_PUBLISHED and (status == ArticleStatus.PUBLISHED or kind == "agent")
]
HIDDEN = [case for case in MATRIX if case not in VISIBLE]


@pytest.mark.parametrize(("kind", "visibility", "status"), VISIBLE)
def test_a_reader_reads_the_articles_of_the_visibility_matrix(kind: str, visibility: str, status: str) -> None:
    translation = article(visibility=visibility, status=status)

    assert access_article(reader(kind), translation.article_id, locale="en").translation == translation


@pytest.mark.parametrize(("kind", "visibility", "status"), HIDDEN)
def test_the_rest_of_the_visibility_matrix_does_not_exist_for_the_reader(
    kind: str, visibility: str, status: str
) -> None:
    translation = article(visibility=visibility, status=status)

    with pytest.raises(NotFound) as error:
        access_article(reader(kind), translation.article_id, locale="en")
    assert error.value.status == 404


def test_an_internal_article_does_not_exist_for_a_customer_whatever_the_id_or_file() -> None:
    internal = article(visibility=Visibility.INTERNAL, body="Staff only: the safe code is 1234.")
    file = article_file_add(actor=editor(), article=internal.article, upload=_png("safe.png"), now=NOW)
    customer = reader("customer")

    with pytest.raises(NotFound) as internal_error:
        access_article(customer, internal.article_id, locale="en")
    with pytest.raises(NotFound) as missing_error:
        access_article(customer, internal.article_id + 1000, locale="en")
    with pytest.raises(NotFound):
        access_article_file(customer, file.pk)

    assert internal_error.value.message.replace(str(internal.article_id), "N") == missing_error.value.message.replace(
        str(internal.article_id + 1000), "N"
    )
    assert access_article_file(reader("agent"), file.pk) == file


def _png(name: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)


def test_a_reader_sees_an_unpublished_language_fall_back_to_a_published_one() -> None:
    english = article(title="Parking")
    translate(english.article, locale="es", title="Aparcamiento", status=ArticleStatus.DRAFT)

    view = access_article(Reader(), english.article_id, locale="es")
    agent_view = access_article(reader("agent"), english.article_id, locale="es")

    assert view.translation == english
    assert view.locales == ["en"]
    assert agent_view.translation == english  # published first, for agents too


def test_the_article_view_lists_published_languages_and_flags_an_outdated_translation() -> None:
    english = article(title="Pool", body="Open 8–20.")
    spanish = translate(english.article, locale="es", title="Piscina", body="Abierta 8–20.")
    translate(english.article, locale="lt", title="Baseinas", status=ArticleStatus.REVIEW)
    assert not access_article(Reader(), english.article_id, locale="es").outdated

    translation_save(
        actor=editor(), article=english.article, locale="en", title="Pool", body="Open 7–22.", now=NOW + HOUR
    )
    view = access_article(Reader(), english.article_id, locale="es")

    assert view.translation == spanish
    assert view.locales == ["en", "es"]
    assert view.outdated
    assert not access_article(Reader(), english.article_id, locale="en").outdated


def test_best_translation_prefers_the_language_then_its_base_then_the_source_then_any() -> None:
    source = article(locale="es", title="Desayuno")
    translate(source.article, locale="pt", title="Café da manhã")
    translate(source.article, locale="lt", title="Pusryčiai")
    translate(source.article, locale="en", title="Breakfast", status=ArticleStatus.DRAFT)
    loaded = type(source.article).objects.prefetch_related("translations").get(pk=source.article_id)

    assert best_translation(loaded, "lt").title == "Pusryčiai"  # type: ignore[union-attr]
    assert best_translation(loaded, "pt-br").title == "Café da manhã"  # type: ignore[union-attr]
    assert best_translation(loaded, "en").title == "Desayuno"  # type: ignore[union-attr]
    assert best_translation(loaded, "en", published_only=False).title == "Breakfast"  # type: ignore[union-attr]


def test_best_translation_of_an_article_with_nothing_published_is_none() -> None:
    draft = article(status=ArticleStatus.DRAFT)

    assert best_translation(draft.article, "en") is None


# --- the help centre's structure ----------------------------------------------------------------


def test_the_category_tree_counts_what_the_reader_may_see_and_hides_the_rest() -> None:
    bookings = SectionFactory.create(names={"en": "Bookings", "es": "Reservas"})
    staff = SectionFactory.create(category=bookings.category, names={"en": "Staff"})
    drafts = SectionFactory.create(names={"en": "Drafts"})
    article(section=bookings, visibility=Visibility.PUBLIC)
    article(section=bookings, visibility=Visibility.CUSTOMERS)
    translation = article(section=bookings, visibility=Visibility.PUBLIC)
    translate(translation.article, locale="es", title="Cambiar")  # two languages, one article
    article(section=staff, visibility=Visibility.INTERNAL)
    article(section=drafts, status=ArticleStatus.REVIEW)

    anonymous = category_tree(reader=Reader(), locale="es")
    customer = category_tree(reader=reader("customer"), locale="en")
    agent = category_tree(reader=reader("agent"), locale="en")

    assert [(node.category, [(s.name, s.articles) for s in node.sections]) for node in anonymous] == [
        (bookings.category, [("Reservas", 2)])
    ]
    assert anonymous[0].name == bookings.category.names["es"]
    assert [(s.name, s.articles) for s in customer[0].sections] == [("Bookings", 3)]
    assert [(s.name, s.articles) for node in agent for s in node.sections] == [("Bookings", 3), ("Staff", 1)]


def test_a_section_lists_the_readers_language_first_then_articles_only_in_others() -> None:
    section = SectionFactory.create()
    only_spanish = article(section=section, locale="es", title="Solo en español")
    both = article(section=section, title="Check-in")
    spanish = translate(both.article, locale="es", title="Registro")
    article(section=section, visibility=Visibility.INTERNAL, title="Staff only")
    article(section=section, status=ArticleStatus.DRAFT, title="Draft")

    items = section_articles(reader=reader("customer"), section=section, locale="es")

    assert [(item.translation, item.in_locale) for item in items] == [(only_spanish, True), (spanish, True)]
    english_items = section_articles(reader=Reader(), section=section, locale="en")
    assert [(item.translation.title, item.in_locale) for item in english_items] == [
        ("Check-in", True),
        ("Solo en español", False),
    ]


# --- the editor ----------------------------------------------------------------------------------------


def test_the_editor_list_shows_each_languages_status_and_finds_outdated_translations() -> None:
    pool = article(title="Pool", now=NOW)
    translate(pool.article, locale="es", title="Piscina", now=NOW)
    spa = article(title="Spa", now=NOW)
    translate(spa.article, locale="es", title="Spa", status=ArticleStatus.DRAFT, now=NOW)
    translate(spa.article, locale="lt", title="SPA", now=NOW)
    translation_save(actor=editor(), article=spa.article, locale="en", title="Spa", body="New hours", now=NOW + HOUR)
    user = UserFactory.create(role=Role.LIGHT_AGENT)

    page = editor_articles(user=user)
    outdated = editor_articles(user=user, outdated=True)
    outdated_lt = editor_articles(user=user, locale="lt", outdated=True)
    drafts_es = editor_articles(user=user, locale="es", status=ArticleStatus.DRAFT)
    found = editor_articles(user=user, q="piscina")

    assert [row.article for row in page.items] == [spa.article, pool.article]  # latest change first
    states = {state.locale: (state.status, state.outdated) for state in page.items[0].translations}
    assert states == {
        "en": (ArticleStatus.PUBLISHED, False),
        "es": (ArticleStatus.DRAFT, True),
        "lt": (ArticleStatus.PUBLISHED, True),
    }
    assert page.items[0].outdated
    assert not page.items[1].outdated
    assert page.items[1].missing_locales == ["lt"]
    assert [row.article for row in outdated.items] == [spa.article]
    assert [row.article for row in outdated_lt.items] == [spa.article]
    assert [row.article for row in drafts_es.items] == [spa.article]
    assert [row.article for row in found.items] == [pool.article]
    assert [row.title for row in editor_articles(user=user, locale="es").items] == ["Spa", "Piscina"]


def test_the_editor_list_pages_with_a_cursor() -> None:
    translations = [article(title=f"Article {n}", now=NOW + n * HOUR) for n in range(5)]
    user = editor()

    first = editor_articles(user=user, size=2)
    second = editor_articles(user=user, size=2, cursor=first.next_cursor)
    third = editor_articles(user=user, size=2, cursor=second.next_cursor)

    seen = [row.article for page in (first, second, third) for row in page.items]
    assert seen == [t.article for t in reversed(translations)]
    assert third.next_cursor is None
    with pytest.raises(ValidationError) as error:
        editor_articles(user=user, cursor="not-a-cursor")
    assert error.value.field == "cursor"


def test_customers_do_not_read_the_editor() -> None:
    with pytest.raises(PermissionDenied):
        editor_articles(user=ContactFactory.create())  # type: ignore[arg-type]


def test_versions_newest_first_and_the_diff_between_any_two_escaped() -> None:
    author = editor()
    first = article(title="Keys", body="Line one\nKeep <this>\nLine three", actor=author)
    translation_save(
        actor=author,
        article=first.article,
        locale="en",
        title="Room keys",
        body="Line one\nKeep <this>\nLine 3 & more",
        now=NOW + HOUR,
    )
    translation_restore(actor=author, translation=first, number=1, now=NOW + DAY)

    versions = translation_versions(user=author, translation=first)
    diff = version_diff(user=author, translation=first, a=1, b=2)

    assert [v.number for v in versions] == [3, 2, 1]
    assert [(line.kind, line.text) for line in diff] == [
        ("hunk", "@@ -1,5 +1,5 @@"),
        ("removed", "# Keys"),
        ("added", "# Room keys"),
        ("context", ""),
        ("context", "Line one"),
        ("context", "Keep &lt;this&gt;"),
        ("removed", "Line three"),
        ("added", "Line 3 &amp; more"),
    ]
    assert (diff[4].old_number, diff[4].new_number) == (3, 3)
    assert version_diff(user=author, translation=first, a=1, b=3) == []


def test_a_diff_with_a_version_that_does_not_exist_names_it() -> None:
    translation = article()

    with pytest.raises(ValidationError) as error:
        version_diff(user=editor(), translation=translation, a=1, b=9)

    assert error.value.field == "b"


# --- reports -------------------------------------------------------------------------------------------


def test_usefulness_per_article_and_overall_counts_votes_in_the_period() -> None:
    parking = article(title="Parking")
    parking_es = translate(parking.article, locale="es", title="Aparcamiento")
    pets = article(title="Pets")
    for n, helpful in enumerate([True, True, False]):
        vote_record(translation=parking, helpful=helpful, reader=f"en{n}", now=NOW)
    vote_record(translation=parking_es, helpful=True, comment="¡Genial!", reader="es1", now=NOW + HOUR)
    vote_record(translation=pets, helpful=False, comment="No cats?", reader="p1", now=NOW)
    vote_record(translation=pets, helpful=True, reader="late", now=NOW + 2 * DAY)  # after the period

    report = usefulness(user=editor(), start=NOW, end=NOW + DAY)

    assert [(r.article_id, r.title, r.votes, r.helpful, r.unhelpful, r.percent, r.comments) for r in report.rows] == [
        (parking.article_id, "Parking", 4, 3, 1, 75.0, 1),
        (pets.article_id, "Pets", 1, 0, 1, 0.0, 1),
    ]
    assert (report.votes, report.helpful, report.percent, report.comments) == (5, 3, 60.0, 2)
    assert [vote.comment for vote in report.recent_comments] == ["¡Genial!", "No cats?"]


def test_usefulness_of_a_period_without_votes_has_no_percentage() -> None:
    report = usefulness(user=editor(), start=NOW, end=NOW + DAY)

    assert (report.rows, report.votes, report.percent) == ([], 0, None)


def test_search_analytics_top_searches_no_results_and_click_through() -> None:
    clicked = article()

    def searched(query: str, results: int, *, click: bool = False, at: Any = NOW) -> None:
        Search.objects.create(
            query=query,
            normalised=query.lower(),
            locale="en",
            source=SearchSource.HELP_CENTRE,
            results=results,
            clicked=clicked if click else None,
            created_at=at,
        )

    searched("Parking", 3, click=True)
    searched("parking", 3)
    searched("parking", 3, click=True)
    searched("sauna", 0)
    searched("sauna", 0)
    searched("wifi", 1)
    searched("old", 0, at=NOW - DAY)

    analytics = search_analytics(user=editor(), start=NOW, end=NOW + DAY)

    assert (analytics.searches, analytics.clicked, analytics.no_result) == (6, 2, 2)
    assert analytics.click_through == 33.3
    assert [(t.query.lower(), t.searches, t.clicks) for t in analytics.top] == [
        ("parking", 3, 2),
        ("sauna", 2, 0),
        ("wifi", 1, 0),
    ]
    assert [(t.query, t.searches) for t in analytics.without_results] == [("sauna", 2)]


def test_publishing_a_translation_makes_it_the_one_readers_get() -> None:
    english = article(title="Garden")
    spanish = translate(english.article, locale="es", title="Jardín", status=ArticleStatus.REVIEW)
    assert access_article(Reader(), english.article_id, locale="es").translation == english

    translation_set_status(actor=editor(), translation=spanish, status=ArticleStatus.PUBLISHED, now=NOW)

    assert access_article(Reader(), english.article_id, locale="es").translation == Translation.objects.get(
        pk=spanish.pk
    )
