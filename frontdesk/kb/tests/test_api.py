"""The knowledge-base REST API, and the public help centre's.

Agents read everything; agents, supervisors and admins write articles; publishing, categories,
sections, the look and the changelog are for supervisors and admins; light agents read only.
Anyone reads the help centre's endpoints without a token, and finds only public, published
articles there: never an internal or customers-only one, never a draft. Refused input names its
field and changes nothing.
"""

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Role, User
from frontdesk.accounts.tests.factories import ContactFactory, UserFactory
from frontdesk.api.tests.factories import api_client
from frontdesk.kb import search as kb_search
from frontdesk.kb.models import (
    Article,
    ArticleFile,
    ArticleStatus,
    Category,
    ChangelogEntry,
    ChangelogSubscription,
    HelpCentre,
    Search,
    SearchSource,
    Section,
    Translation,
    Version,
    Visibility,
    Vote,
)
from frontdesk.kb.services import subscription_cancel_url, subscription_confirm_url, translation_save, vote_record
from frontdesk.kb.tests.factories import (
    CategoryFactory,
    ChangelogEntryFactory,
    SectionFactory,
    SubscriptionFactory,
    article,
    editor,
    translate,
)
from frontdesk.portal.tests.conftest import portal_client
from frontdesk.tickets.tests.factories import NOW

pytestmark = pytest.mark.django_db

JSON = "application/json"
KB = "/api/v1/kb"
HELP = "/api/v1/help-centre"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ROLES = [None, Role.LIGHT_AGENT, Role.AGENT, Role.SUPERVISOR, Role.ADMIN]


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def client_as(role: str | None) -> Client:
    """A client with a fresh API token of a user in `role`; None: no token at all."""
    return Client() if role is None else api_client(UserFactory.create(role=role))


@pytest.fixture
def supervisor() -> User:
    return UserFactory.create(role=Role.SUPERVISOR)


@pytest.fixture
def api(supervisor: User) -> Client:
    return api_client(supervisor)


@pytest.fixture
def agent_api() -> Client:
    return api_client(UserFactory.create(role=Role.AGENT))


def png(name: str = "screen.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def error(response: Any) -> tuple[int, str | None]:
    return response.status_code, response.json()["error"]["field"]


def indexed() -> None:
    """The search index as the committed transactions would leave it (tests do not commit)."""
    kb_search.reindex_all()


def state() -> tuple[object, ...]:
    """Everything the endpoints below may write."""
    return (
        list(Category.objects.values_list("pk", "slug", "names")),
        list(Section.objects.values_list("pk", "slug", "category_id")),
        list(Article.objects.values_list("pk", "visibility", "section_id", "position")),
        list(Translation.objects.values_list("pk", "locale", "title", "status", "version")),
        Version.objects.count(),
        ArticleFile.objects.count(),
        list(ChangelogEntry.objects.values_list("pk", "title", "is_published")),
        list(HelpCentre.objects.values_list("name", "primary_colour", "logo")),
        list(Vote.objects.values_list("pk", "helpful", "comment")),
        list(ChangelogSubscription.objects.values_list("email", "confirmed_at", "unsubscribed_at")),
    )


# --- who may do what --------------------------------------------------------------------


@dataclass
class Scene:
    section: Section
    draft: Translation  # a draft at version 2
    published: Translation
    entry: ChangelogEntry


@pytest.fixture
def scene() -> Scene:
    section = SectionFactory.create()
    draft = article(section=section, status=ArticleStatus.DRAFT, title="Draft one", body="First text.")
    draft = translation_save(
        actor=editor(), article=draft.article, locale="en", title="Draft one", body="Second text.", now=NOW
    )
    return Scene(section, draft, article(section=section, title="Published one"), ChangelogEntryFactory.create())


Write = Callable[[Client, Scene], Any]  # the test client's response

# What each write answers to: no token, a light agent, an agent, a supervisor, an admin.
WRITES: dict[str, tuple[Write, tuple[int, ...]]] = {
    "create a category": (
        lambda c, s: c.post(f"{KB}/categories", {"slug": "billing", "names": {"en": "Billing"}}, JSON),
        (401, 403, 403, 201, 201),
    ),
    "rename a category": (
        lambda c, s: c.put(
            f"{KB}/categories/{s.section.category_id}", {"slug": "renamed", "names": {"en": "Renamed"}}, JSON
        ),
        (401, 403, 403, 200, 200),
    ),
    "create a section": (
        lambda c, s: c.post(
            f"{KB}/sections", {"category": s.section.category_id, "slug": "refunds", "names": {"en": "Refunds"}}, JSON
        ),
        (401, 403, 403, 201, 201),
    ),
    "write an article": (
        lambda c, s: c.post(f"{KB}/articles", {"section": s.section.pk, "locale": "en", "title": "New"}, JSON),
        (401, 403, 201, 201, 201),
    ),
    "translate an article": (
        lambda c, s: c.put(
            f"{KB}/articles/{s.published.article_id}/translations/es", {"title": "Publicado", "body": "Hola"}, JSON
        ),
        (401, 403, 201, 201, 201),
    ),
    "send a draft to review": (
        lambda c, s: c.post(f"{KB}/articles/{s.draft.article_id}/translations/en/status", {"status": "review"}, JSON),
        (401, 403, 200, 200, 200),
    ),
    "publish a draft": (
        lambda c, s: c.post(
            f"{KB}/articles/{s.draft.article_id}/translations/en/status", {"status": "published"}, JSON
        ),
        (401, 403, 403, 200, 200),
    ),
    "archive a published article": (
        lambda c, s: c.post(
            f"{KB}/articles/{s.published.article_id}/translations/en/status", {"status": "archived"}, JSON
        ),
        (401, 403, 403, 200, 200),
    ),
    "restore a version": (
        lambda c, s: c.post(f"{KB}/articles/{s.draft.article_id}/translations/en/versions/1/restore"),
        (401, 403, 200, 200, 200),
    ),
    "upload a file": (
        lambda c, s: c.post(f"{KB}/articles/{s.draft.article_id}/files", {"upload": png()}),
        (401, 403, 201, 201, 201),
    ),
    "reorder a draft": (
        lambda c, s: c.patch(f"{KB}/articles/{s.draft.article_id}", {"position": 7}, JSON),
        (401, 403, 200, 200, 200),
    ),
    "make a published article internal": (
        lambda c, s: c.patch(f"{KB}/articles/{s.published.article_id}", {"visibility": "internal"}, JSON),
        (401, 403, 403, 200, 200),
    ),
    "delete a draft article": (
        lambda c, s: c.delete(f"{KB}/articles/{s.draft.article_id}"),
        (401, 403, 204, 204, 204),
    ),
    "delete a published article": (
        lambda c, s: c.delete(f"{KB}/articles/{s.published.article_id}"),
        (401, 403, 403, 204, 204),
    ),
    "change the help centre's look": (
        lambda c, s: c.patch(f"{KB}/help-centre", {"name": "Aurora help", "primary_colour": "#112233"}, JSON),
        (401, 403, 403, 200, 200),
    ),
    "upload a logo": (
        lambda c, s: c.post(f"{KB}/help-centre/logo", {"logo": png("logo.png")}),
        (401, 403, 403, 200, 200),
    ),
    "write a release note": (
        lambda c, s: c.post(f"{KB}/changelog", {"title": "Faster", "published_on": "2026-11-02"}, JSON),
        (401, 403, 403, 201, 201),
    ),
    "delete a release note": (
        lambda c, s: c.delete(f"{KB}/changelog/{s.entry.pk}"),
        (401, 403, 403, 204, 204),
    ),
}


@pytest.mark.parametrize("position", range(len(ROLES)), ids=[str(role) for role in ROLES])
@pytest.mark.parametrize("write", WRITES)
def test_each_write_is_open_to_the_roles_that_may_do_it_and_changes_nothing_otherwise(
    scene: Scene, write: str, position: int
) -> None:
    call, expected = WRITES[write]
    client = client_as(ROLES[position])
    before = state()

    response = call(client, scene)

    assert response.status_code == expected[position]
    assert (state() != before) is (expected[position] < 400)


READS = [
    f"{KB}/categories",
    f"{KB}/sections",
    f"{KB}/articles",
    f"{KB}/search?q=text&include_drafts=true",
    f"{KB}/reports/usefulness",
    f"{KB}/reports/searches",
    f"{KB}/reports/deflection",
    f"{KB}/help-centre",
    f"{KB}/changelog",
    f"{KB}/changelog/subscribers",
]


@pytest.mark.parametrize("url", READS)
def test_light_agents_read_what_agents_read_and_no_token_reads_nothing(url: str) -> None:
    assert client_as(Role.LIGHT_AGENT).get(url).status_code == 200
    assert client_as(None).get(url).status_code == 401


def test_a_light_agent_reads_an_article_its_history_and_files(scene: Scene) -> None:
    light = client_as(Role.LIGHT_AGENT)
    base = f"{KB}/articles/{scene.draft.article_id}"

    responses = [
        light.get(base),
        light.get(f"{base}/translations/en"),
        light.get(f"{base}/translations/en/versions"),
        light.get(f"{base}/translations/en/versions/1"),
        light.get(f"{base}/translations/en/versions/diff?a=1&b=2"),
        light.get(f"{base}/files"),
    ]

    assert [response.status_code for response in responses] == [200] * 6


# --- categories and sections ------------------------------------------------------------


def test_supervisor_builds_categories_and_sections(api: Client) -> None:
    category = api.post(
        f"{KB}/categories",
        {"slug": "billing", "names": {"en": "Billing", "es": "Facturación"}, "descriptions": {"en": "Money"}},
        JSON,
    )
    section = api.post(
        f"{KB}/sections", {"category": category.json()["id"], "slug": "refunds", "names": {"en": "Refunds"}}, JSON
    )

    assert (category.status_code, section.status_code) == (201, 201)
    assert section.json() == {
        "id": Section.objects.get().pk,
        "category": category.json()["id"],
        "slug": "refunds",
        "names": {"en": "Refunds"},
        "position": 0,
        "articles": 0,
    }
    assert api.get(f"{KB}/categories/{category.json()['id']}").json()["sections"] == [
        {"id": section.json()["id"], "slug": "refunds", "names": {"en": "Refunds"}}
    ]


def test_a_category_holding_articles_is_not_deleted(api: Client) -> None:
    translation = article()
    category_id = translation.article.section.category_id

    response = api.delete(f"{KB}/categories/{category_id}")

    assert error(response) == (409, "category")
    assert Category.objects.filter(pk=category_id).exists()


def test_empty_categories_and_sections_are_deleted(api: Client) -> None:
    section = SectionFactory.create()
    other = CategoryFactory.create()

    deleted_section = api.delete(f"{KB}/sections/{section.pk}")
    deleted_category = api.delete(f"{KB}/categories/{other.pk}")

    assert (deleted_section.status_code, deleted_category.status_code) == (204, 204)
    assert list(Category.objects.values_list("pk", flat=True)) == [section.category_id]
    assert not Section.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"slug": "Not a slug", "names": {"en": "X"}}, 422, "slug"),
        ({"slug": "billing", "names": {}}, 422, "names"),
        ({"slug": "billing", "names": {"en": "X"}, "position": -1}, 422, "position"),
        ({"slug": "taken", "names": {"en": "X"}}, 409, "slug"),
        ({"names": {"en": "X"}}, 422, "slug"),
    ],
)
def test_a_category_that_cannot_be_saved_is_refused_naming_the_field(
    api: Client, body: dict[str, Any], status: int, field: str
) -> None:
    CategoryFactory.create(slug="taken")
    before = state()

    response = api.post(f"{KB}/categories", body, JSON)

    assert error(response) == (status, field)
    assert state() == before


def test_a_section_in_an_unknown_category_is_refused(api: Client) -> None:
    response = api.post(f"{KB}/sections", {"category": 424242, "slug": "x", "names": {"en": "X"}}, JSON)

    assert error(response) == (422, "category")
    assert not Section.objects.exists()


def test_sections_filter_by_category_and_count_their_articles(agent_api: Client) -> None:
    section = SectionFactory.create()
    SectionFactory.create()
    article(section=section)
    article(section=section, status=ArticleStatus.DRAFT, visibility=Visibility.INTERNAL)

    response = agent_api.get(f"{KB}/sections?category={section.category_id}")

    assert [(row["id"], row["articles"]) for row in response.json()] == [(section.pk, 2)]


def test_an_unknown_category_or_section_is_404(api: Client) -> None:
    assert api.get(f"{KB}/categories/424242").status_code == 404
    assert api.put(f"{KB}/sections/424242", {"category": 1, "slug": "x", "names": {"en": "X"}}, JSON).status_code == 404
    assert api.delete(f"{KB}/sections/424242").status_code == 404


@pytest.mark.parametrize("categories", [1, 6])
def test_category_and_section_lists_run_a_fixed_number_of_queries(
    agent_api: Client, categories: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for _ in range(categories):
        SectionFactory.create(category=SectionFactory.create().category)

    # token and its last use, categories, their sections
    with django_assert_max_num_queries(4):
        listed = agent_api.get(f"{KB}/categories")
    # token and its last use, sections with their article counts
    with django_assert_max_num_queries(3):
        sections = agent_api.get(f"{KB}/sections")

    assert len(listed.json()) == categories
    assert len(sections.json()) == 2 * categories


# --- articles and translations ------------------------------------------------------------


def test_an_agent_writes_an_article_as_a_draft_in_its_source_language(agent_api: Client) -> None:
    section = SectionFactory.create()

    response = agent_api.post(
        f"{KB}/articles",
        {"section": section.pk, "visibility": "customers", "locale": "es", "title": "Reembolsos", "body": "**Sí**"},
        JSON,
    )

    translation = Translation.objects.get()
    assert response.status_code == 201
    assert response.json()["id"] == translation.article_id
    assert (response.json()["source_locale"], response.json()["visibility"]) == ("es", "customers")
    assert response.json()["section"] == {"id": section.pk, "slug": section.slug, "names": section.names}
    assert [
        (t["locale"], t["title"], t["status"], t["version"], t["outdated"]) for t in response.json()["translations"]
    ] == [("es", "Reembolsos", "draft", 1, False)]
    read = agent_api.get(f"{KB}/articles/{translation.article_id}/translations/es").json()
    assert (read["body"], read["html"], read["is_source"]) == ("**Sí**", "<p><strong>Sí</strong></p>\n", True)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"visibility": "friends"}, "visibility"),
        ({"locale": "not a language"}, "locale"),
        ({"section": 424242}, "section"),
        ({"body": "x\x00y"}, "body"),
    ],
)
def test_an_article_that_cannot_be_written_is_refused_naming_the_field(
    agent_api: Client, fields: dict[str, Any], field: str
) -> None:
    section = SectionFactory.create()

    response = agent_api.post(f"{KB}/articles", {"section": section.pk, "locale": "en", "title": "T", **fields}, JSON)

    assert error(response) == (422, field)
    assert not Article.objects.exists()


def test_saving_the_source_again_makes_the_translations_outdated(agent_api: Client) -> None:
    source = article(title="Refunds", body="Five days.")
    translate(source.article, locale="es", title="Reembolsos")
    url = f"{KB}/articles/{source.article_id}"

    saved = agent_api.put(f"{url}/translations/en", {"title": "Refunds", "body": "Ten days.", "note": "longer"}, JSON)
    detail = agent_api.get(url).json()

    assert (saved.status_code, saved.json()["version"]) == (200, 2)
    assert [(t["locale"], t["version"], t["outdated"]) for t in detail["translations"]] == [
        ("en", 2, False),
        ("es", 1, True),
    ]
    assert agent_api.get(f"{url}/translations/es").json()["outdated"] is True
    assert Version.objects.get(translation=source, number=2).note == "longer"


def test_saving_a_translation_brings_it_up_to_date(agent_api: Client) -> None:
    source = article(title="Refunds")
    spanish = translate(source.article, locale="es", title="Reembolsos")
    translation_save(actor=editor(), article=source.article, locale="en", title="Refunds", body="New", now=NOW)

    response = agent_api.put(
        f"{KB}/articles/{source.article_id}/translations/es", {"title": "Reembolsos", "body": "Nuevo"}, JSON
    )

    assert (response.status_code, response.json()["outdated"], response.json()["source_version"]) == (200, False, 2)
    assert Translation.objects.get(pk=spanish.pk).version == 2


def test_a_locale_written_another_way_saves_the_same_translation(agent_api: Client) -> None:
    source = article(title="Refunds")
    url = f"{KB}/articles/{source.article_id}/translations"

    created = agent_api.put(f"{url}/pt-br", {"title": "Reembolsos", "body": "Cinco dias."}, JSON)
    edited = agent_api.put(f"{url}/pt_BR", {"title": "Reembolsos", "body": "Dez dias."}, JSON)

    assert (created.status_code, edited.status_code) == (201, 200)
    assert (edited.json()["locale"], edited.json()["version"]) == ("pt-br", 2)


def test_a_translation_that_cannot_be_saved_changes_nothing(agent_api: Client) -> None:
    source = article(title="Refunds")
    before = state()

    too_long = agent_api.put(f"{KB}/articles/{source.article_id}/translations/en", {"title": "x" * 201}, JSON)
    bad_locale = agent_api.put(f"{KB}/articles/{source.article_id}/translations/e$", {"title": "X"}, JSON)

    assert error(too_long) == (422, "title")
    assert error(bad_locale) == (422, "locale")
    assert state() == before


def test_the_workflow_refuses_a_step_it_does_not_have(api: Client) -> None:
    draft = article(status=ArticleStatus.DRAFT)
    url = f"{KB}/articles/{draft.article_id}/translations/en/status"

    skipped = api.post(url, {"status": "archived"}, JSON)
    unknown = api.post(url, {"status": "gone"}, JSON)

    assert error(skipped) == (409, "status")
    assert error(unknown) == (422, "status")
    assert Translation.objects.get().status == ArticleStatus.DRAFT


def test_a_supervisor_publishes_and_the_article_says_when(api: Client) -> None:
    draft = article(status=ArticleStatus.REVIEW)

    response = api.post(f"{KB}/articles/{draft.article_id}/translations/en/status", {"status": "published"}, JSON)

    assert (response.status_code, response.json()["status"]) == (200, "published")
    assert response.json()["published_at"] == "2026-11-02T09:00:00Z"


def test_an_article_moves_to_another_section(agent_api: Client) -> None:
    draft = article(status=ArticleStatus.DRAFT)
    other = SectionFactory.create()

    moved = agent_api.patch(f"{KB}/articles/{draft.article_id}", {"section": other.pk, "position": 3}, JSON)
    unknown = agent_api.patch(f"{KB}/articles/{draft.article_id}", {"section": 424242}, JSON)

    assert (moved.status_code, moved.json()["section"]["id"], moved.json()["position"]) == (200, other.pk, 3)
    assert error(unknown) == (422, "section")
    assert Article.objects.get().section_id == other.pk


def test_an_unknown_article_or_language_is_404(agent_api: Client) -> None:
    source = article()

    assert agent_api.get(f"{KB}/articles/424242").status_code == 404
    assert agent_api.get(f"{KB}/articles/{source.article_id}/translations/lt").status_code == 404
    assert agent_api.get(f"{KB}/articles/{source.article_id}/translations/lt/versions").status_code == 404
    assert (
        agent_api.post(
            f"{KB}/articles/{source.article_id}/translations/lt/status", {"status": "review"}, JSON
        ).status_code
        == 404
    )
    assert agent_api.delete(f"{KB}/articles/424242").status_code == 404


def test_the_list_filters_by_language_status_outdated_and_title(agent_api: Client) -> None:
    refunds = article(title="Refunds")
    translate(refunds.article, locale="es", title="Reembolsos", status=ArticleStatus.DRAFT)
    translation_save(actor=editor(), article=refunds.article, locale="en", title="Refunds", body="New", now=NOW)
    checkin = article(title="Check-in times", status=ArticleStatus.REVIEW)

    def ids(query: str) -> list[int]:
        return [row["id"] for row in agent_api.get(f"{KB}/articles?{query}").json()["items"]]

    assert ids("locale=es") == [refunds.article_id]
    assert ids("status=review") == [checkin.article_id]
    assert ids("locale=es&status=published") == []
    assert ids("outdated=true") == [refunds.article_id]
    assert ids("q=check") == [checkin.article_id]
    assert ids("status=") == [checkin.article_id, refunds.article_id]


def test_the_list_shows_each_language_and_the_missing_ones(agent_api: Client) -> None:
    refunds = article(title="Refunds")
    translate(refunds.article, locale="es", title="Reembolsos", status=ArticleStatus.REVIEW)

    row = agent_api.get(f"{KB}/articles?locale=es").json()["items"][0]

    assert (row["title"], row["outdated"], row["missing_locales"]) == ("Reembolsos", False, ["lt"])
    assert row["translations"] == [
        {"locale": "en", "status": "published", "version": 1, "outdated": False},
        {"locale": "es", "status": "review", "version": 1, "outdated": False},
    ]


def test_the_list_pages_through_every_article_once(agent_api: Client) -> None:
    created = {article(title=f"Article {n}").article_id for n in range(5)}

    first = agent_api.get(f"{KB}/articles?limit=2").json()
    second = agent_api.get(f"{KB}/articles?limit=2&cursor={first['next_cursor']}").json()
    third = agent_api.get(f"{KB}/articles?limit=2&cursor={second['next_cursor']}").json()

    seen = [row["id"] for page in (first, second, third) for row in page["items"]]
    assert (len(seen), set(seen)) == (5, created)
    assert third["next_cursor"] is None
    assert error(agent_api.get(f"{KB}/articles?cursor=nonsense")) == (422, "cursor")


@pytest.mark.parametrize("articles", [1, 8])
def test_the_article_list_runs_a_fixed_number_of_queries(
    agent_api: Client, articles: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for number in range(articles):
        translate(article(title=f"Article {number}").article, locale="es", title=f"Artículo {number}")

    # token and its last use, the page of articles, their translations
    with django_assert_max_num_queries(4):
        response = agent_api.get(f"{KB}/articles")

    assert len(response.json()["items"]) == articles


@pytest.mark.parametrize("languages", [1, 3])
def test_an_article_reads_in_a_fixed_number_of_queries(
    agent_api: Client, languages: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    source = article()
    for locale in ["es", "lt"][: languages - 1]:
        translate(source.article, locale=locale, title=f"Title {locale}")

    # token and its last use, the article with its section and category, its translations
    with django_assert_max_num_queries(4):
        response = agent_api.get(f"{KB}/articles/{source.article_id}")

    assert len(response.json()["translations"]) == languages


# --- versions ------------------------------------------------------------------------------


def test_versions_are_listed_read_compared_and_restored(agent_api: Client) -> None:
    source = article(title="Refunds", body="Five days.")
    translation_save(actor=editor(), article=source.article, locale="en", title="Refunds", body="Ten days.", now=NOW)
    url = f"{KB}/articles/{source.article_id}/translations/en/versions"

    listed = agent_api.get(url).json()
    first = agent_api.get(f"{url}/1").json()
    diff = agent_api.get(f"{url}/diff?a=1&b=2").json()
    restored = agent_api.post(f"{url}/1/restore")

    assert [version["number"] for version in listed] == [2, 1]
    assert (first["body"], first["author"]["id"]) == ("Five days.", Version.objects.get(number=1).author_id)
    assert [(line["kind"], line["text"]) for line in diff["lines"] if line["kind"] != "context"] == [
        ("hunk", "@@ -1,3 +1,3 @@"),
        ("removed", "Five days."),
        ("added", "Ten days."),
    ]
    assert (restored.status_code, restored.json()["version"], restored.json()["body"]) == (200, 3, "Five days.")


def test_an_unknown_version_is_refused(agent_api: Client) -> None:
    source = article()
    url = f"{KB}/articles/{source.article_id}/translations/en/versions"
    before = state()

    assert agent_api.get(f"{url}/9").status_code == 404
    assert error(agent_api.get(f"{url}/diff?a=1&b=9")) == (422, "b")
    assert error(agent_api.get(f"{url}/diff?a=0&b=1")) == (422, "a")
    assert error(agent_api.post(f"{url}/9/restore")) == (422, "number")
    assert state() == before


@pytest.mark.parametrize("versions", [1, 8])
def test_the_history_lists_in_a_fixed_number_of_queries(
    agent_api: Client, versions: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    source = article()
    for number in range(versions - 1):
        translation_save(actor=editor(), article=source.article, locale="en", title="T", body=f"Body {number}", now=NOW)

    # token and its last use, the article, its translations, the versions with their authors
    with django_assert_max_num_queries(5):
        response = agent_api.get(f"{KB}/articles/{source.article_id}/translations/en/versions")

    assert len(response.json()) == versions


# --- files and preview ---------------------------------------------------------------------


def test_an_uploaded_image_is_listed_with_its_markdown(agent_api: Client) -> None:
    source = article(status=ArticleStatus.DRAFT)
    url = f"{KB}/articles/{source.article_id}/files"

    uploaded = agent_api.post(url, {"upload": png("Screen shot.png")})
    listed = agent_api.get(url).json()

    file = ArticleFile.objects.get()
    assert uploaded.status_code == 201
    assert listed == [uploaded.json()]
    assert (listed[0]["name"], listed[0]["content_type"], listed[0]["size"]) == ("Screen shot.png", "image/png", 72)
    assert listed[0]["markdown"] == f"![Screen shot.png](/help/files/{file.pk}/Screen%20shot.png)"


def test_a_file_articles_do_not_carry_is_refused(agent_api: Client) -> None:
    source = article(status=ArticleStatus.DRAFT)

    response = agent_api.post(
        f"{KB}/articles/{source.article_id}/files",
        {"upload": SimpleUploadedFile("run.sh", b"#!/bin/sh\nrm -rf /\n", content_type="image/png")},
    )

    assert error(response) == (422, "upload")
    assert not ArticleFile.objects.exists()


def test_a_file_is_removed_only_through_its_own_article(agent_api: Client) -> None:
    source, other = article(status=ArticleStatus.DRAFT), article(status=ArticleStatus.DRAFT)
    file = agent_api.post(f"{KB}/articles/{source.article_id}/files", {"upload": png()}).json()

    elsewhere = agent_api.delete(f"{KB}/articles/{other.article_id}/files/{file['id']}")
    removed = agent_api.delete(f"{KB}/articles/{source.article_id}/files/{file['id']}")

    assert (elsewhere.status_code, removed.status_code) == (404, 204)
    assert not ArticleFile.objects.exists()


def test_the_preview_renders_sanitised_html(agent_api: Client) -> None:
    response = agent_api.post(f"{KB}/preview", {"body": "# Hi\n\n<script>alert(1)</script>\n\n**bold**"}, JSON)

    assert response.status_code == 200
    assert "<script>" not in response.json()["html"]
    assert "<strong>bold</strong>" in response.json()["html"]


# --- search and suggestions ------------------------------------------------------------------


@dataclass
class Library:
    """Articles on refunds of every visibility and status."""

    public: Translation
    customers: Translation
    internal: Translation
    draft: Translation
    archived: Translation
    spanish_draft: Translation  # a draft translation of `public`


@pytest.fixture
def library() -> Library:
    section = SectionFactory.create()
    public = article(section=section, title="Refunds for guests", body="A refund takes five days.")
    spanish_draft = translate(
        public.article,
        locale="es",
        title="Reembolsos borrador",
        body="Borrador secreto sobre reembolsos.",
        status=ArticleStatus.DRAFT,
    )
    library = Library(
        public=public,
        customers=article(
            section=section,
            visibility=Visibility.CUSTOMERS,
            title="Refunds for members",
            body="Members get refunds at once.",
        ),
        internal=article(
            section=SectionFactory.create(),
            visibility=Visibility.INTERNAL,
            title="Refunds: internal procedure",
            body="Approve refunds in the back office. Secret.",
        ),
        draft=article(section=section, status=ArticleStatus.DRAFT, title="Refunds draft", body="Unfinished refunds."),
        archived=article(section=section, status=ArticleStatus.ARCHIVED, title="Refunds archived", body="Old refunds."),
        spanish_draft=spanish_draft,
    )
    indexed()
    return library


def test_agents_search_every_visibility_and_drafts_on_request_never_the_archived(
    agent_api: Client, library: Library
) -> None:
    published = agent_api.get(f"{KB}/search?q=refunds&locale=en").json()
    with_drafts = agent_api.get(f"{KB}/search?q=refunds&locale=en&include_drafts=true").json()

    assert {hit["article_id"] for hit in published["hits"]} == {
        library.public.article_id,
        library.customers.article_id,
        library.internal.article_id,
    }
    assert {hit["article_id"] for hit in with_drafts["hits"]} == {
        library.public.article_id,
        library.customers.article_id,
        library.internal.article_id,
        library.draft.article_id,
    }
    assert "<mark>" in published["hits"][0]["snippet_html"]


def test_an_agent_search_is_logged_and_its_click_recorded(agent_api: Client, library: Library) -> None:
    found = agent_api.get(f"{KB}/search?q=refunds&locale=en").json()

    clicked = agent_api.post(f"{KB}/searches/{found['search_id']}/click", {"translation": library.internal.pk}, JSON)

    search = Search.objects.get()
    assert (search.query, search.source, search.results) == ("refunds", SearchSource.API, 3)
    assert clicked.status_code == 204
    assert search.clicked_id == library.internal.pk


def test_a_search_without_words_finds_nothing_and_is_not_logged(agent_api: Client, library: Library) -> None:
    agent = agent_api.get(f"{KB}/search?q=+++").json()
    public = Client().get(f"{HELP}/search?q=").json()

    assert (agent["total"], agent["search_id"], public["total"], public["search"]) == (0, None, 0, None)
    assert not Search.objects.exists()


def test_suggestions_keep_to_their_audience(agent_api: Client, library: Library) -> None:
    text = "Hello, I cancelled my booking and want my refund. How many days do refunds take?"

    def suggested(audience: str) -> set[int]:
        response = agent_api.post(f"{KB}/suggest", {"text": text, "locale": "en", "audience": audience}, JSON)
        return {hit["article_id"] for hit in response.json()}

    assert suggested("everyone") == {library.public.article_id}
    assert suggested("customers") == {library.public.article_id, library.customers.article_id}
    assert suggested("agents") == {
        library.public.article_id,
        library.customers.article_id,
        library.internal.article_id,
    }


# --- the public help centre: never internal, customers-only or draft content ------------------------


def test_anonymous_search_finds_only_public_published_articles(library: Library) -> None:
    anonymous = Client()

    english = anonymous.get(f"{HELP}/search?q=refunds&locale=en")
    spanish = anonymous.get(f"{HELP}/search?q=borrador+secreto&locale=es")

    assert english.status_code == 200
    assert [hit["article_id"] for hit in english.json()["hits"]] == [library.public.article_id]
    assert spanish.json()["hits"] == []
    assert "secret" not in english.content.decode().lower()


def test_anonymous_readers_get_404_for_what_they_may_not_read(library: Library) -> None:
    anonymous = Client()
    hidden = [library.customers, library.internal, library.draft, library.archived]

    responses = [anonymous.get(f"{HELP}/articles/{translation.article_id}?locale=en") for translation in hidden]

    assert [response.status_code for response in responses] == [404] * 4
    assert all(response.json()["error"]["code"] == "not_found" for response in responses)


def test_an_article_whose_language_is_a_draft_shows_its_published_language(library: Library) -> None:
    response = Client().get(f"{HELP}/articles/{library.public.article_id}?locale=es")

    body = response.json()
    assert response.status_code == 200
    assert (body["locale"], body["in_locale"], body["locales"]) == ("en", False, ["en"])
    assert body["title"] == "Refunds for guests"
    assert "Borrador" not in response.content.decode()


def test_an_anonymous_reader_reads_a_public_article(library: Library) -> None:
    section = library.public.article.section

    body = Client().get(f"{HELP}/articles/{library.public.article_id}?locale=en").json()

    assert body == {
        "id": library.public.article_id,
        "locale": "en",
        "in_locale": True,
        "title": "Refunds for guests",
        "html": "<p>A refund takes five days.</p>\n",
        "locales": ["en"],
        "section": {"id": section.pk, "slug": section.slug, "name": section.names["en"]},
        "category": {
            "id": section.category_id,
            "slug": section.category.slug,
            "name": section.category.names["en"],
        },
        "published_at": "2026-11-02T09:00:00Z",
        "updated_at": "2026-11-02T09:00:00Z",
        "url": f"{settings.BASE_URL}/help/en/articles/{library.public.article_id}-refunds-for-guests/",
    }


def test_the_public_tree_and_sections_hold_only_public_published_articles(library: Library) -> None:
    anonymous = Client()
    section = library.public.article.section

    tree = anonymous.get(f"{HELP}/categories?locale=en").json()
    listed = anonymous.get(f"{HELP}/sections/{section.pk}/articles?locale=en").json()
    internal_only = anonymous.get(f"{HELP}/sections/{library.internal.article.section_id}/articles?locale=en")

    assert [(category["id"], [(s["id"], s["articles"]) for s in category["sections"]]) for category in tree] == [
        (section.category_id, [(section.pk, 1)])
    ]
    assert [item["article_id"] for item in listed] == [library.public.article_id]
    assert internal_only.status_code == 404


def test_a_signed_in_customer_also_reads_customers_only_articles_never_internal_or_drafts(
    library: Library,
) -> None:
    customer = portal_client(ContactFactory.create())

    found = customer.get(f"{HELP}/search?q=refunds&locale=en").json()
    members = customer.get(f"{HELP}/articles/{library.customers.article_id}?locale=en")
    hidden = [customer.get(f"{HELP}/articles/{t.article_id}") for t in (library.internal, library.draft)]

    assert {hit["article_id"] for hit in found["hits"]} == {library.public.article_id, library.customers.article_id}
    assert members.status_code == 200
    assert [response.status_code for response in hidden] == [404, 404]


def test_a_bearer_token_does_not_open_internal_articles_in_the_public_endpoints(library: Library) -> None:
    agent = client_as(Role.ADMIN)

    response = agent.get(f"{HELP}/articles/{library.internal.article_id}?locale=en")
    found = agent.get(f"{HELP}/search?q=refunds&locale=en").json()

    assert response.status_code == 404
    assert [hit["article_id"] for hit in found["hits"]] == [library.public.article_id]


def test_opening_a_result_with_its_search_counts_the_click(library: Library) -> None:
    anonymous = Client()
    found = anonymous.get(f"{HELP}/search?q=refunds&locale=en").json()

    forged = anonymous.get(f"{HELP}/articles/{library.public.article_id}?locale=en&search=1")
    opened = anonymous.get(f"{HELP}/articles/{library.public.article_id}?locale=en&search={found['search']}")

    assert (forged.status_code, opened.status_code) == (200, 200)
    assert Search.objects.get().clicked_id == library.public.pk


@pytest.mark.parametrize("articles", [1, 6])
def test_public_lists_run_a_fixed_number_of_queries(
    articles: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    section = SectionFactory.create()
    for number in range(articles):
        translate(article(section=section, title=f"Refund {number}").article, locale="es", title=f"Reembolso {number}")
    indexed()
    anonymous = Client()

    # published articles per section, categories, their sections
    with django_assert_max_num_queries(3):
        tree = anonymous.get(f"{HELP}/categories?locale=es")
    # the section, its articles, their published translations
    with django_assert_max_num_queries(3):
        listed = anonymous.get(f"{HELP}/sections/{section.pk}/articles?locale=es")
    # the search's statistics, terms, ranking, hits, and the search logged
    with django_assert_max_num_queries(8):
        found = anonymous.get(f"{HELP}/search?q=reembolso&locale=es")

    assert tree.json()[0]["sections"][0]["articles"] == articles
    assert len(listed.json()) == articles
    assert found.json()["total"] == articles


# --- votes -----------------------------------------------------------------------------------


def test_an_anonymous_reader_votes_and_changes_their_vote(library: Library) -> None:
    url = f"{HELP}/articles/{library.public.article_id}/votes"
    anonymous = Client()

    first = anonymous.post(url, {"helpful": False, "comment": "Too short", "reader": "browser-1"}, JSON)
    second = anonymous.post(url, {"helpful": True, "reader": "browser-1"}, JSON)
    other = anonymous.post(url, {"helpful": True, "reader": "browser-2"}, JSON)

    assert [r.status_code for r in (first, second, other)] == [200, 200, 200]
    assert second.json() == {
        "article_id": library.public.article_id,
        "locale": "en",
        "helpful": True,
        "comment": "Too short",
    }
    assert Translation.objects.values_list("helpful", "unhelpful").get(pk=library.public.pk) == (2, 0)
    assert "browser-1" not in {vote.reader for vote in Vote.objects.all()}


def test_votes_on_what_the_reader_may_not_read_or_without_a_reader_change_nothing(library: Library) -> None:
    anonymous = Client()
    before = state()

    internal = anonymous.post(
        f"{HELP}/articles/{library.internal.article_id}/votes", {"helpful": True, "reader": "r"}, JSON
    )
    draft = anonymous.post(f"{HELP}/articles/{library.draft.article_id}/votes", {"helpful": True, "reader": "r"}, JSON)
    nobody = anonymous.post(f"{HELP}/articles/{library.public.article_id}/votes", {"helpful": True}, JSON)
    long_comment = anonymous.post(
        f"{HELP}/articles/{library.public.article_id}/votes",
        {"helpful": True, "reader": "r", "comment": "x" * 2001},
        JSON,
    )

    assert (internal.status_code, draft.status_code) == (404, 404)
    assert error(nobody) == (422, "reader")
    assert error(long_comment) == (422, "comment")
    assert state() == before


def test_a_signed_in_customer_votes_as_themselves_with_the_csrf_token(library: Library) -> None:
    contact = ContactFactory.create()
    customer = portal_client(contact, enforce_csrf_checks=True)
    customer.cookies["csrftoken"] = "a" * 32
    url = f"{HELP}/articles/{library.customers.article_id}/votes"

    without_token = customer.post(url, {"helpful": True}, JSON)
    voted = customer.post(url, {"helpful": True}, JSON, HTTP_X_CSRFTOKEN="a" * 32)

    assert without_token.status_code == 403
    assert voted.status_code == 200
    assert Vote.objects.get().contact == contact


# --- reports ----------------------------------------------------------------------------------


def test_the_usefulness_report_counts_votes_per_article_in_the_period(agent_api: Client) -> None:
    refunds = article(title="Refunds")
    for reader, helpful, comment in [("a", True, ""), ("b", True, ""), ("c", False, "Meh")]:
        vote_record(translation=refunds, helpful=helpful, comment=comment, reader=reader, now=NOW)

    report = agent_api.get(f"{KB}/reports/usefulness?start=2026-11-01&end=2026-11-02").json()
    earlier = agent_api.get(f"{KB}/reports/usefulness?start=2026-10-01&end=2026-10-31").json()

    assert (report["votes"], report["helpful"], report["unhelpful"], report["percent"]) == (3, 2, 1, 66.7)
    assert report["rows"] == [
        {
            "article_id": refunds.article_id,
            "title": "Refunds",
            "votes": 3,
            "helpful": 2,
            "unhelpful": 1,
            "percent": 66.7,
            "comments": 1,
        }
    ]
    assert [(c["article_id"], c["comment"]) for c in report["recent_comments"]] == [(refunds.article_id, "Meh")]
    assert earlier["votes"] == 0


def test_the_search_report_shows_top_searches_no_results_and_click_through(agent_api: Client, library: Library) -> None:
    anonymous = Client()
    found = anonymous.get(f"{HELP}/search?q=refunds&locale=en").json()
    anonymous.get(f"{HELP}/search?q=Refunds&locale=en")
    anonymous.get(f"{HELP}/search?q=parking&locale=en")
    anonymous.get(f"{HELP}/articles/{library.public.article_id}?locale=en&search={found['search']}")

    report = agent_api.get(f"{KB}/reports/searches?period=today").json()

    assert (report["searches"], report["clicked"], report["click_through"], report["no_result"]) == (3, 1, 33.3, 1)
    assert [(term["searches"], term["clicks"]) for term in report["top"]] == [(2, 1), (1, 0)]
    assert [term["query"] for term in report["without_results"]] == ["parking"]


def test_a_report_period_that_cannot_be_read_is_refused(agent_api: Client) -> None:
    assert error(agent_api.get(f"{KB}/reports/usefulness?start=2026-11-02&end=2026-11-01")) == (422, "end")
    assert error(agent_api.get(f"{KB}/reports/searches?start=yesterday&end=2026-11-01")) == (422, "start")


# --- the help centre's look ----------------------------------------------------------------------


def test_the_look_is_changed_and_shown_to_everyone(api: Client) -> None:
    changed = api.patch(f"{KB}/help-centre", {"name": "Aurora help", "accent_colour": "#ABCDEF"}, JSON)
    with_logo = api.post(f"{KB}/help-centre/logo", {"logo": png("logo.png")})
    public = Client().get(HELP).json()
    without_logo = api.delete(f"{KB}/help-centre/logo")

    assert changed.json() == {
        "name": "Aurora help",
        "primary_colour": "#1d4ed8",
        "accent_colour": "#abcdef",
        "logo_url": None,
    }
    assert with_logo.json()["logo_url"].startswith(f"{settings.BASE_URL}/help/logo?v=")
    assert public == with_logo.json()
    assert without_logo.json()["logo_url"] is None


def test_a_look_that_cannot_be_saved_changes_nothing(api: Client) -> None:
    api.get(f"{KB}/help-centre")
    before = state()

    colour = api.patch(f"{KB}/help-centre", {"name": "New", "primary_colour": "blue"}, JSON)
    name = api.patch(f"{KB}/help-centre", {"name": ""}, JSON)
    logo = api.post(f"{KB}/help-centre/logo", {"logo": SimpleUploadedFile("logo.pdf", b"%PDF-1.4 x")})

    assert [error(r) for r in (colour, name, logo)] == [(422, "primary_colour"), (422, "name"), (422, "logo")]
    assert state() == before


# --- the changelog ---------------------------------------------------------------------------


def test_a_supervisor_writes_changes_and_deletes_a_release_note(api: Client) -> None:
    body = {"title": "Faster search", "body": "**New**", "tags": ["Search", "search"], "published_on": "2026-11-02"}

    created = api.post(f"{KB}/changelog", body, JSON)
    changed = api.put(f"{KB}/changelog/{created.json()['id']}", {**body, "is_published": True}, JSON)
    read = api.get(f"{KB}/changelog/{created.json()['id']}")
    deleted = api.delete(f"{KB}/changelog/{created.json()['id']}")

    assert created.status_code == 201
    assert (created.json()["tags"], created.json()["html"], created.json()["is_published"]) == (
        ["search"],
        "<p><strong>New</strong></p>\n",
        False,
    )
    assert read.json() == changed.json()
    assert changed.json()["is_published"] is True
    assert deleted.status_code == 204
    assert not ChangelogEntry.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"published_on": "tomorrow"}, "published_on"),
        ({"title": ""}, "title"),
        ({"locale": "??"}, "locale"),
        ({"tags": [f"tag{n}" for n in range(11)]}, "tags"),
    ],
)
def test_a_release_note_that_cannot_be_saved_is_refused(api: Client, fields: dict[str, Any], field: str) -> None:
    response = api.post(f"{KB}/changelog", {"title": "T", "published_on": "2026-11-02", **fields}, JSON)

    assert error(response) == (422, field)
    assert not ChangelogEntry.objects.exists()


def test_agents_page_through_every_release_note_drafts_too(agent_api: Client) -> None:
    entries = [
        ChangelogEntryFactory.create(published_on=date(2026, 10, day), is_published=day % 2 == 0) for day in range(1, 6)
    ]

    forged = base64.urlsafe_b64encode(b'["2026-10-03", "x"]').decode()

    first = agent_api.get(f"{KB}/changelog?limit=3").json()
    second = agent_api.get(f"{KB}/changelog?limit=3&cursor={first['next_cursor']}").json()

    assert [item["id"] for item in first["items"] + second["items"]] == [entry.pk for entry in reversed(entries)]
    assert second["next_cursor"] is None
    assert error(agent_api.get(f"{KB}/changelog?cursor=xyz")) == (422, "cursor")
    assert error(agent_api.get(f"{KB}/changelog?cursor={forged}")) == (422, "cursor")


def test_the_public_changelog_lists_only_published_notes_of_today_or_before(agent_api: Client) -> None:
    shown = ChangelogEntryFactory.create(title="Shown", published_on=date(2026, 11, 1))
    ChangelogEntryFactory.create(title="Draft", is_published=False)
    ChangelogEntryFactory.create(title="Future", published_on=date(2026, 12, 1))
    ChangelogEntryFactory.create(title="Spanish", locale="es")

    response = Client().get(f"{HELP}/changelog?locale=en")

    assert [item["id"] for item in response.json()["items"]] == [shown.pk]
    assert "Draft" not in response.content.decode()


@pytest.mark.parametrize("entries", [1, 8])
def test_changelog_lists_run_a_fixed_number_of_queries(
    agent_api: Client, entries: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    ChangelogEntryFactory.create_batch(entries)

    # token and its last use, the entries
    with django_assert_max_num_queries(3):
        listed = agent_api.get(f"{KB}/changelog")
    with django_assert_max_num_queries(1):
        public = Client().get(f"{HELP}/changelog")

    assert len(listed.json()["items"]) == len(public.json()["items"]) == entries


def test_a_subscription_is_requested_confirmed_and_cancelled_through_the_api() -> None:
    anonymous = Client()

    requested = anonymous.post(f"{HELP}/changelog/subscriptions", {"email": "Ada@Guests.example", "locale": "es"}, JSON)
    subscription = ChangelogSubscription.objects.get()
    confirm_token = subscription_confirm_url(subscription, now=NOW).rstrip("/").rsplit("/", 1)[-1]
    confirmed = anonymous.post(f"{HELP}/changelog/subscriptions/confirm", {"token": confirm_token}, JSON)
    cancel_token = subscription_cancel_url(subscription).rstrip("/").rsplit("/", 1)[-1]
    cancelled = anonymous.post(f"{HELP}/changelog/subscriptions/cancel", {"token": cancel_token}, JSON)

    subscription.refresh_from_db()
    assert (requested.status_code, confirmed.status_code, cancelled.status_code) == (202, 200, 200)
    assert (subscription.email, subscription.locale) == ("ada@guests.example", "es")
    assert (subscription.confirmed_at, subscription.unsubscribed_at) == (NOW, NOW)


def test_a_subscription_that_cannot_be_made_changes_nothing() -> None:
    anonymous = Client()
    before = state()

    address = anonymous.post(f"{HELP}/changelog/subscriptions", {"email": "not an address"}, JSON)
    token = anonymous.post(f"{HELP}/changelog/subscriptions/confirm", {"token": "forged:token"}, JSON)

    assert error(address) == (422, "email")
    assert error(token) == (422, "token")
    assert state() == before


def test_subscribers_are_counted_per_language(agent_api: Client) -> None:
    SubscriptionFactory.create_batch(2, locale="es")
    SubscriptionFactory.create(locale="en")
    SubscriptionFactory.create(locale="en", confirmed_at=None)

    assert agent_api.get(f"{KB}/changelog/subscribers").json() == {"total": 3, "by_locale": {"es": 2, "en": 1}}
