"""The knowledge-base editor (/kb/…) and the ticket page's article search and suggestions."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Role, Team, User
from frontdesk.accounts.tests.factories import ContactFactory, TeamFactory, UserFactory
from frontdesk.kb import search
from frontdesk.kb.models import (
    Article,
    ArticleFile,
    ArticleStatus,
    Category,
    ChangelogEntry,
    HelpCentre,
    Search,
    SearchSource,
    Section,
    Translation,
    Version,
    Visibility,
)
from frontdesk.kb.services import translation_save, vote_record
from frontdesk.kb.tests.factories import (
    CategoryFactory,
    ChangelogEntryFactory,
    SectionFactory,
    SubscriptionFactory,
    article,
    translate,
)
from frontdesk.portal.models import Deflection
from frontdesk.tickets.models import Ticket
from frontdesk.tickets.tests.factories import NOW, new_ticket
from frontdesk.workspace.tests.conftest import client_for

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def supervisor() -> User:
    return UserFactory.create(name="Sue Supervisor", role=Role.SUPERVISOR)


@pytest.fixture
def agent() -> User:
    return UserFactory.create(name="Ana Agent", role=Role.AGENT)


@pytest.fixture
def light_agent() -> User:
    return UserFactory.create(name="Lee Light", role=Role.LIGHT_AGENT)


@pytest.fixture
def section() -> Section:
    return SectionFactory.create(slug="bookings", names={"en": "Bookings", "es": "Reservas"})


@pytest.fixture
def booking(section: Section, supervisor: User) -> Translation:
    """A published English article with a published Spanish translation."""
    source = article(
        section=section,
        title="How to change a booking",
        body="Open **My bookings** and choose *Change*.\n\nThe new dates are confirmed by e-mail.",
        actor=supervisor,
    )
    translate(
        source.article, locale="es", title="Cómo cambiar una reserva", body="Abra **Mis reservas**.", actor=supervisor
    )
    return source


def _index() -> None:
    search.reindex_all()


# --- who may do what ------------------------------------------------------------------------------


def _reading_pages(translation: Translation) -> list[str]:
    article_id = translation.article_id
    return [
        "/kb/",
        f"/kb/articles/{article_id}/",
        f"/kb/articles/{article_id}/en/edit/",
        f"/kb/articles/{article_id}/en/versions/",
        "/kb/categories/",
        "/kb/changelog/",
        "/kb/reports/",
    ]


def test_signed_out_visitors_are_sent_to_sign_in(booking: Translation) -> None:
    for url in _reading_pages(booking):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url


def test_light_agents_read_every_page_without_a_way_to_change_anything(booking: Translation, light_agent: User) -> None:
    client = client_for(light_agent)

    for url in _reading_pages(booking):
        assert client.get(url).status_code == 200, url
    listing = client.get("/kb/").content.decode()
    overview = client.get(f"/kb/articles/{booking.article_id}/").content.decode()
    editor = client.get(f"/kb/articles/{booking.article_id}/en/edit/")
    assert "New article" not in listing
    assert "Upload" not in overview
    assert "Translate" not in overview
    assert editor.context["form"].read_only
    assert all(field.disabled for field in editor.context["form"].fields.values())
    assert editor.context["status_buttons"] == []
    assert "Save as a new version" not in editor.content.decode()


def test_light_agents_are_refused_every_change(booking: Translation, light_agent: User, section: Section) -> None:
    client = client_for(light_agent)
    article_id = booking.article_id
    new_article = {"section": section.pk, "visibility": "public", "locale": "en", "title": "Mine", "body": "x"}

    assert client.get("/kb/articles/new/").status_code == 403
    assert client.post("/kb/articles/new/", new_article).status_code == 403
    assert client.get(f"/kb/articles/{article_id}/lt/edit/").status_code == 403
    assert client.post(f"/kb/articles/{article_id}/en/edit/", {"title": "Changed", "body": "x"}).status_code == 403
    assert client.post(f"/kb/articles/{article_id}/en/status/", {"status": "draft"}).status_code == 403
    assert client.post(f"/kb/articles/{article_id}/en/versions/1/restore/").status_code == 403
    assert (
        client.post(
            f"/kb/articles/{article_id}/",
            {"settings-section": section.pk, "settings-visibility": "internal", "settings-position": 0},
        ).status_code
        == 403
    )
    upload = SimpleUploadedFile("shot.png", PNG, content_type="image/png")
    assert client.post(f"/kb/articles/{article_id}/files/", {"upload": upload}).status_code == 403
    assert client.post(f"/kb/articles/{article_id}/delete/").status_code == 403
    booking.refresh_from_db()
    assert Article.objects.count() == 1
    assert (booking.title, booking.status, booking.version) == ("How to change a booking", "published", 1)
    assert Article.objects.get().visibility == Visibility.PUBLIC
    assert not ArticleFile.objects.exists()


def test_agents_write_and_send_to_review_but_may_not_publish(agent: User, section: Section) -> None:
    client = client_for(agent)

    created = client.post(
        "/kb/articles/new/",
        {"section": section.pk, "visibility": "public", "locale": "en", "title": "Late check-in", "body": "Call us."},
    )
    translation = Translation.objects.get()
    page = client.get(f"/kb/articles/{translation.article_id}/en/edit/").content.decode()
    reviewed = client.post(f"/kb/articles/{translation.article_id}/en/status/", {"status": "review"})
    published = client.post(f"/kb/articles/{translation.article_id}/en/status/", {"status": "published"})

    translation.refresh_from_db()
    assert created.status_code == 302
    assert created["Location"] == f"/kb/articles/{translation.article_id}/en/edit/"
    assert (translation.title, translation.locale, translation.status) == ("Late check-in", "en", "review")
    assert "Send to review" in page
    assert ">Publish</button>" not in page
    assert reviewed.status_code == 302
    assert published.status_code == 403


def test_supervisors_publish_archive_and_take_back_to_draft(supervisor: User, section: Section) -> None:
    translation = article(section=section, status=ArticleStatus.REVIEW, actor=supervisor)
    client = client_for(supervisor)
    url = f"/kb/articles/{translation.article_id}/en/status/"

    page = client.get(f"/kb/articles/{translation.article_id}/en/edit/").content.decode()
    steps = []
    for status in ("published", "archived", "draft"):
        client.post(url, {"status": status})
        translation.refresh_from_db()
        steps.append(translation.status)

    assert ">Publish</button>" in page
    assert steps == ["published", "archived", "draft"]


def test_a_step_the_workflow_does_not_have_is_refused_with_the_reason(supervisor: User, section: Section) -> None:
    translation = article(section=section, status=ArticleStatus.DRAFT, actor=supervisor)
    client = client_for(supervisor)

    response = client.post(f"/kb/articles/{translation.article_id}/en/status/", {"status": "archived"}, follow=True)

    translation.refresh_from_db()
    assert translation.status == "draft"
    assert "cannot become Archived" in response.content.decode()


def test_agents_may_not_manage_categories_the_look_or_the_changelog(agent: User, section: Section) -> None:
    client = client_for(agent)
    entry = ChangelogEntryFactory.create()

    for url in (
        "/kb/categories/new/",
        f"/kb/categories/{section.category_id}/",
        f"/kb/categories/{section.category_id}/delete/",
        "/kb/sections/new/",
        f"/kb/sections/{section.pk}/",
        "/kb/look/",
        "/kb/changelog/new/",
        f"/kb/changelog/{entry.pk}/",
        f"/kb/changelog/{entry.pk}/delete/",
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {}).status_code == 403, url
    assert "New category" not in client.get("/kb/categories/").content.decode()
    assert "New release note" not in client.get("/kb/changelog/").content.decode()
    assert Category.objects.count() == 1
    assert ChangelogEntry.objects.count() == 1


def test_the_ticket_endpoints_need_a_ticket_the_agent_may_see(agent: User) -> None:
    ticket = new_ticket(team=TeamFactory.create(name="Elsewhere"))
    client = client_for(agent)

    assert client.get(f"/kb/tickets/{ticket.pk}/articles/?q=booking").status_code == 404
    assert client.get(f"/kb/tickets/{ticket.pk}/suggested/").status_code == 404
    assert Client().get(f"/kb/tickets/{ticket.pk}/suggested/").status_code == 302


# --- the article list -----------------------------------------------------------------------------------


def test_the_list_shows_each_language_with_its_status(booking: Translation, supervisor: User) -> None:
    draft = article(
        section=booking.article.section, title="Pets in rooms", status=ArticleStatus.DRAFT, actor=supervisor
    )

    content = client_for(supervisor).get("/kb/").content.decode()

    assert "How to change a booking" in content
    assert "Pets in rooms" in content
    assert 'data-locale="es"' in content
    assert f'href="/kb/articles/{draft.article_id}/es/edit/"' in content  # "+ es": translate
    assert content.count("kb-status-published") == 2
    assert content.count("kb-status-draft") == 1


def test_the_list_filters_by_language_status_outdated_and_title(booking: Translation, supervisor: User) -> None:
    section = booking.article.section
    draft = article(section=section, title="Pets in rooms", status=ArticleStatus.DRAFT, actor=supervisor)
    translation_save(
        actor=supervisor, article=booking.article, locale="en", title=booking.title, body="New text", now=NOW
    )
    client = client_for(supervisor)

    def ids(query: str) -> list[int]:
        return [row.article.pk for row in client.get(f"/kb/?{query}").context["page"].items]

    assert ids("status=draft") == [draft.article_id]
    assert ids("locale=es") == [booking.article_id]
    assert ids("outdated=on") == [booking.article_id]
    assert ids("q=pets") == [draft.article_id]
    assert sorted(ids("status=nonsense")) == sorted([booking.article_id, draft.article_id])  # ignored


def test_an_outdated_translation_is_flagged_to_editors(booking: Translation, supervisor: User) -> None:
    translation_save(
        actor=supervisor, article=booking.article, locale="en", title=booking.title, body="Changed source", now=NOW
    )
    client = client_for(supervisor)
    article_id = booking.article_id

    listing = client.get("/kb/").content.decode()
    overview = client.get(f"/kb/articles/{article_id}/").content.decode()
    spanish = client.get(f"/kb/articles/{article_id}/es/edit/").content.decode()
    english = client.get(f"/kb/articles/{article_id}/en/edit/").content.decode()

    assert listing.count("kb-outdated") == 1
    assert 'data-locale="es" class="is-outdated"' in overview
    assert "Outdated: the English source changed" in spanish
    assert "Changed source" in spanish  # the source beside
    assert "Outdated:" not in english


def test_the_list_queries_do_not_grow_with_articles(
    supervisor: User, section: Section, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(30):
        source = article(section=section, title=f"Article {n}", actor=supervisor)
        translate(source.article, locale="es", title=f"Artículo {n}", actor=supervisor)
        translate(source.article, locale="lt", title=f"Straipsnis {n}", status=ArticleStatus.DRAFT, actor=supervisor)
    client = client_for(supervisor)

    # session, user; the page of articles with their sections; their translations
    with django_assert_max_num_queries(5):
        response = client.get("/kb/")

    assert len(response.context["page"].items) == 25
    assert response.context["page"].next_cursor
    following = client.get(f"/kb/?cursor={response.context['page'].next_cursor}")
    assert len(following.context["page"].items) == 5


# --- writing: create, edit, versions, diff, restore ---------------------------------------------------------


def test_without_a_section_the_new_article_page_says_where_to_make_one(supervisor: User, agent: User) -> None:
    managing = client_for(supervisor).get("/kb/articles/new/").content.decode()
    writing = client_for(agent).get("/kb/articles/new/").content.decode()

    assert 'href="/kb/categories/"' in managing
    assert "Ask a supervisor to create one." in writing
    assert "Create article" not in writing


def test_edit_makes_a_new_version_whose_diff_shows_and_an_old_one_is_restored(
    supervisor: User, section: Section
) -> None:
    client = client_for(supervisor)
    client.post(
        "/kb/articles/new/",
        {"section": section.pk, "visibility": "public", "locale": "en", "title": "Parking", "body": "Park in lot A."},
    )
    translation = Translation.objects.get()
    base = f"/kb/articles/{translation.article_id}/en"

    saved = client.post(f"{base}/edit/", {"title": "Parking", "body": "Park in lot B.", "note": "Lot moved"})
    history = client.get(f"{base}/versions/")
    restored = client.post(f"{base}/versions/1/restore/")
    after = client.get(f"{base}/versions/?a=2&b=3").content.decode()

    translation.refresh_from_db()
    assert saved.status_code == 302
    assert history.status_code == 200
    assert (history.context["a"], history.context["b"]) == (1, 2)
    kinds = [(line.kind, line.text) for line in history.context["diff"]]
    assert ("removed", "Park in lot A.") in kinds
    assert ("added", "Park in lot B.") in kinds
    assert "Lot moved" in history.content.decode()
    assert restored.status_code == 302
    assert (translation.version, translation.body) == (3, "Park in lot A.")
    assert list(Version.objects.filter(translation=translation).values_list("number", flat=True)) == [3, 2, 1]
    assert "Restored version 1" in after
    assert "Park in lot B." in after
    assert "Park in lot A." in after


def test_saving_unchanged_text_makes_no_version(booking: Translation, supervisor: User) -> None:
    url = f"/kb/articles/{booking.article_id}/en/edit/"

    response = client_for(supervisor).post(url, {"title": booking.title, "body": booking.body}, follow=True)

    booking.refresh_from_db()
    assert booking.version == 1
    assert "Nothing changed" in response.content.decode()


def test_the_diff_escapes_what_it_shows(booking: Translation, supervisor: User) -> None:
    translation_save(
        actor=supervisor,
        article=booking.article,
        locale="en",
        title=booking.title,
        body="<script>alert(1)</script>",
        now=NOW,
    )

    content = client_for(supervisor).get(f"/kb/articles/{booking.article_id}/en/versions/").content.decode()

    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_a_version_that_does_not_exist_shows_the_error(booking: Translation, supervisor: User) -> None:
    response = client_for(supervisor).get(f"/kb/articles/{booking.article_id}/en/versions/?a=1&b=9")

    assert response.status_code == 422
    assert "no version 9" in response.content.decode()


def test_a_new_language_starts_from_the_source_shown_beside_it(booking: Translation, supervisor: User) -> None:
    client = client_for(supervisor)
    url = f"/kb/articles/{booking.article_id}/lt/edit/"

    page = client.get(url)
    saved = client.post(url, {"title": "Kaip pakeisti užsakymą", "body": "Atidarykite **Mano užsakymai**."})

    content = page.content.decode()
    assert page.context["form"]["title"].value() == "How to change a booking"
    assert page.context["source"] == booking
    assert "Source (English)" in content
    assert 'class="kb-source-body"' in content
    assert saved.status_code == 302
    lithuanian = Translation.objects.get(article=booking.article, locale="lt")
    assert (lithuanian.status, lithuanian.source_version) == ("draft", 1)


def test_a_language_outside_the_sites_is_added_by_its_code(booking: Translation, supervisor: User) -> None:
    client = client_for(supervisor)

    chosen = client.get(f"/kb/articles/{booking.article_id}/languages/?locale=PT_BR")
    refused = client.get(f"/kb/articles/{booking.article_id}/languages/?locale=e s", follow=True)

    assert chosen["Location"] == f"/kb/articles/{booking.article_id}/pt-br/edit/"
    assert "Type a language code" in refused.content.decode()


def test_the_preview_renders_markdown_sanitised(booking: Translation, agent: User) -> None:
    body = "## Steps\n\n**Bold** <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))"

    response = client_for(agent).post(f"/kb/articles/{booking.article_id}/preview/", {"body": body}, headers=HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert '<h2 id="steps">Steps</h2>' in content
    assert "<strong>Bold</strong>" in content
    assert "<script" not in content
    assert "onerror" not in content
    assert 'href="javascript' not in content


def test_the_preview_shows_uploaded_files_and_videos(booking: Translation, supervisor: User) -> None:
    client = client_for(supervisor)
    video = SimpleUploadedFile("tour.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32, content_type="video/mp4")
    client.post(f"/kb/articles/{booking.article_id}/files/", {"upload": video})

    content = client.post(
        f"/kb/articles/{booking.article_id}/preview/", {"body": "[Tour](tour.mp4)\n\nhttps://youtu.be/dQw4w9WgXcQ"}
    ).content.decode()

    file = ArticleFile.objects.get()
    assert f'<video controls preload="metadata" src="/help/files/{file.pk}/tour.mp4"' in content
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in content


def test_an_upload_lists_the_markdown_to_paste(booking: Translation, agent: User) -> None:
    client = client_for(agent)

    response = client.post(
        f"/kb/articles/{booking.article_id}/files/",
        {"upload": SimpleUploadedFile("Check in.png", PNG, content_type="image/png")},
        follow=True,
    )

    file = ArticleFile.objects.get()
    content = response.content.decode()
    assert file.name == "Check in.png"
    assert "Check in.png is uploaded" in content
    assert f'value="![Check in.png](/help/files/{file.pk}/Check%20in.png)"' in content


def test_an_upload_of_a_kind_articles_do_not_take_shows_the_error(booking: Translation, agent: User) -> None:
    response = client_for(agent).post(
        f"/kb/articles/{booking.article_id}/files/",
        {"upload": SimpleUploadedFile("run.exe", b"MZ\x90\x00" * 8, content_type="application/octet-stream")},
    )

    assert response.status_code == 422
    assert "articles take images" in response.content.decode()
    assert not ArticleFile.objects.exists()


def test_agents_move_a_draft_but_only_supervisors_change_who_reads_a_published_article(
    booking: Translation, agent: User, supervisor: User
) -> None:
    other = SectionFactory.create(category=booking.article.section.category)
    url = f"/kb/articles/{booking.article_id}/"
    data = {"settings-section": other.pk, "settings-visibility": "internal", "settings-position": 3}

    refused = client_for(agent).post(url, data)
    saved = client_for(supervisor).post(url, data)

    current = Article.objects.get()
    assert refused.status_code == 403
    assert saved.status_code == 302
    assert (current.section_id, current.visibility, current.position) == (other.pk, "internal", 3)


def test_deleting_an_article_asks_first(supervisor: User, section: Section) -> None:
    translation = article(section=section, status=ArticleStatus.DRAFT, actor=supervisor)
    client = client_for(supervisor)
    url = f"/kb/articles/{translation.article_id}/delete/"

    asked = client.get(url)
    deleted = client.post(url)

    assert "Delete the article" in asked.content.decode()
    assert Article.objects.exists() is False
    assert deleted["Location"] == "/kb/"


# --- categories, sections, look, changelog ----------------------------------------------------------------


def test_a_supervisor_creates_a_category_and_a_section_with_names_per_language(supervisor: User) -> None:
    client = client_for(supervisor)

    client.post(
        "/kb/categories/new/",
        {
            "category-slug": "stay",
            "category-position": 1,
            "category-name_en": "Your stay",
            "category-name_es": "Su estancia",
        },
    )
    category = Category.objects.get()
    client.post(
        "/kb/sections/new/",
        {
            "section-category": category.pk,
            "section-slug": "parking",
            "section-position": 0,
            "section-name_en": "Parking",
        },
    )
    listing = client.get("/kb/categories/").content.decode()

    assert category.names == {"en": "Your stay", "es": "Su estancia"}
    assert Section.objects.get().names == {"en": "Parking"}
    assert "Your stay" in listing
    assert "Parking" in listing
    assert "0 articles" in listing


def test_editing_a_category_keeps_names_in_languages_the_site_does_not_offer(supervisor: User) -> None:
    category = CategoryFactory.create(slug="stay", names={"en": "Stay", "de": "Aufenthalt"})

    client_for(supervisor).post(
        f"/kb/categories/{category.pk}/",
        {"category-slug": "stay", "category-position": 0, "category-name_en": "Your stay", "category-name_es": ""},
    )

    category.refresh_from_db()
    assert category.names == {"de": "Aufenthalt", "en": "Your stay"}


def test_a_slug_another_category_has_is_refused_on_the_form(supervisor: User) -> None:
    CategoryFactory.create(slug="stay")

    response = client_for(supervisor).post(
        "/kb/categories/new/", {"category-slug": "stay", "category-position": 0, "category-name_en": "Again"}
    )

    assert response.status_code == 409
    assert "Another category has the slug" in response.content.decode()
    assert Category.objects.count() == 1


def test_a_section_that_holds_articles_is_not_deleted(booking: Translation, supervisor: User) -> None:
    section = booking.article.section

    response = client_for(supervisor).post(f"/kb/sections/{section.pk}/delete/", follow=True)

    assert Section.objects.filter(pk=section.pk).exists()
    assert "holds 1 articles" in response.content.decode()


def test_a_supervisor_sets_the_help_centres_name_colours_and_logo(supervisor: User) -> None:
    client = client_for(supervisor)
    logo = SimpleUploadedFile("logo.png", PNG, content_type="image/png")

    saved = client.post(
        "/kb/look/", {"name": "Hotel help", "primary_colour": "#112233", "accent_colour": "#AABBCC", "logo": logo}
    )
    refused = client.post("/kb/look/", {"name": "Hotel help", "primary_colour": "red", "accent_colour": "#aabbcc"})

    centre = HelpCentre.objects.get()
    assert saved.status_code == 302
    assert (centre.name, centre.primary_colour, centre.accent_colour) == ("Hotel help", "#112233", "#aabbcc")
    assert str(centre.logo.name).endswith(".png")
    assert refused.status_code == 422
    assert "A colour such as #1d4ed8." in refused.content.decode()


def test_a_supervisor_writes_a_release_note_and_sees_the_subscribers(supervisor: User) -> None:
    SubscriptionFactory.create_batch(2, locale="en")
    SubscriptionFactory.create(locale="es")
    SubscriptionFactory.create(locale="es", confirmed_at=None)
    client = client_for(supervisor)

    created = client.post(
        "/kb/changelog/new/",
        {
            "locale": "es",
            "title": "Búsqueda más rápida",
            "published_on": "2026-11-03",
            "tags": "New, improved, new",
            "body": "**Más** rápida.",
            "is_published": "on",
        },
    )
    listing = client.get("/kb/changelog/")

    entry = ChangelogEntry.objects.get()
    assert created.status_code == 302
    assert (entry.locale, entry.tags, entry.is_published) == ("es", ["new", "improved"], True)
    assert "<strong>Más</strong>" in entry.html
    assert listing.context["subscriber_total"] == 3
    assert "3 subscribers" in listing.content.decode()
    assert "Búsqueda más rápida" in listing.content.decode()


def test_a_release_note_with_a_bad_date_is_shown_with_the_error(supervisor: User) -> None:
    response = client_for(supervisor).post(
        "/kb/changelog/new/", {"locale": "en", "title": "Faster", "published_on": "3 Nov", "tags": ""}
    )

    assert response.status_code == 422
    assert not ChangelogEntry.objects.exists()


# --- reports ---------------------------------------------------------------------------------------------------


def test_the_reports_show_usefulness_searches_and_deflection(booking: Translation, light_agent: User) -> None:
    now = NOW
    for reader, helpful in (("a", True), ("b", True), ("c", False)):
        vote_record(
            translation=booking, helpful=helpful, comment="Clear!" if reader == "a" else "", reader=reader, now=now
        )
    search.search_log(query="Parking", locale="en", source=SearchSource.HELP_CENTRE, results=0, now=now)
    search.search_log(query="parking", locale="en", source=SearchSource.HELP_CENTRE, results=0, now=now)
    Deflection.objects.create(query="change booking", suggested=3, opened_translation_id=booking.pk, created_at=now)
    Deflection.objects.create(query="pets", suggested=2, created_at=now, ticket_id=1)

    response = client_for(light_agent).get("/kb/reports/?start=2026-11-01&end=2026-11-30")

    content = response.content.decode()
    assert response.status_code == 200
    assert response.context["usefulness"].percent == 66.7
    assert "66.7 %" in content
    assert "Clear!" in content
    assert response.context["searches"].no_result == 2
    assert [term.searches for term in response.context["searches"].without_results] == [2]
    assert response.context["deflection"].deflected == 1
    assert '<dd data-deflection="shown">2</dd>' in content


def test_a_report_period_that_ends_before_it_starts_is_refused(light_agent: User) -> None:
    response = client_for(light_agent).get("/kb/reports/?start=2026-11-30&end=2026-11-01")

    assert response.status_code == 422
    assert "The end date is before the start date." in response.content.decode()


def test_the_reports_default_to_the_last_30_days(light_agent: User) -> None:
    response = client_for(light_agent).get("/kb/reports/")

    form = response.context["form"]
    assert form.cleaned_data["end"] - form.cleaned_data["start"] == timedelta(days=29)


# --- the ticket page: article search in the reply box, suggested articles --------------------------------------


@pytest.fixture
def team(agent: User) -> Team:
    return TeamFactory.create(name="Reservations", members=[agent])


def _ticket(team: Team, *, language: str = "", requester_language: str = "", **kwargs: object) -> Ticket:
    requester = ContactFactory.create(language=requester_language)
    return new_ticket(team=team, requester=requester, language=language, **kwargs)


def test_the_reply_box_finds_articles_and_inserts_the_link_in_the_customers_language(
    booking: Translation, agent: User, team: Team
) -> None:
    _index()
    ticket = _ticket(team, language="es")

    response = client_for(agent).get(f"/kb/tickets/{ticket.pk}/articles/", {"q": "change booking"}, headers=HTMX)

    content = response.content.decode()
    slug = Translation.objects.get(article=booking.article, locale="es").slug
    url = f"{settings.BASE_URL}/help/es/articles/{booking.article_id}-{quote(slug)}/"
    assert response.status_code == 200
    assert f'data-kb-insert="Cómo cambiar una reserva: {url}"' in content
    assert "Insert link (es)" in content
    logged = Search.objects.get()
    assert (logged.source, logged.query, logged.locale, logged.results) == ("agent", "change booking", "en", 1)
    assert f'hx-post="/kb/searches/{logged.pk}/click/"' in content


def test_the_agent_may_search_in_the_customers_language_too(booking: Translation, agent: User, team: Team) -> None:
    _index()
    ticket = _ticket(team, language="es")

    response = client_for(agent).get(f"/kb/tickets/{ticket.pk}/articles/", {"q": "cambiar reserva"})

    assert [row.hit.article_id for row in response.context["hits"]] == [booking.article_id]
    assert [row.link_locale for row in response.context["hits"]] == ["es"]


def test_the_link_is_the_requesters_language_when_the_ticket_has_none(
    booking: Translation, agent: User, team: Team
) -> None:
    _index()
    ticket = _ticket(team, requester_language="es")

    content = client_for(agent).get(f"/kb/tickets/{ticket.pk}/articles/", {"q": "booking"}).content.decode()

    assert f"/help/es/articles/{booking.article_id}-" in content


def test_without_a_published_translation_in_their_language_the_link_is_the_source(
    booking: Translation, agent: User, team: Team, supervisor: User
) -> None:
    translate(booking.article, locale="lt", title="Kaip pakeisti", status=ArticleStatus.DRAFT, actor=supervisor)
    _index()
    ticket = _ticket(team, language="lt")

    content = client_for(agent).get(f"/kb/tickets/{ticket.pk}/articles/", {"q": "booking"}).content.decode()

    assert (
        f"How to change a booking: {settings.BASE_URL}/help/en/articles/{booking.article_id}-{booking.slug}/" in content
    )
    assert "Kaip pakeisti" not in content


def test_the_reply_box_finds_published_articles_only_and_offers_no_link_to_internal_ones(
    section: Section, agent: User, team: Team, supervisor: User
) -> None:
    article(section=section, title="Booking refunds draft", status=ArticleStatus.DRAFT, actor=supervisor)
    internal = article(
        section=section, title="Booking override codes", visibility=Visibility.INTERNAL, actor=supervisor
    )
    _index()
    ticket = _ticket(team)

    response = client_for(agent).get(f"/kb/tickets/{ticket.pk}/articles/", {"q": "booking"})

    content = response.content.decode()
    assert [row.hit.article_id for row in response.context["hits"]] == [internal.article_id]
    assert "Booking override codes" in content
    assert "Agents only" in content
    assert "data-kb-insert" not in content


def test_the_reply_box_search_queries_do_not_grow_with_hits(
    section: Section,
    agent: User,
    team: Team,
    supervisor: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for n in range(10):
        source = article(section=section, title=f"Parking {n}", body="Park in the garage.", actor=supervisor)
        translate(source.article, locale="es", title=f"Aparcamiento {n}", actor=supervisor)
    _index()
    ticket = _ticket(team, language="es")
    client = client_for(agent)

    # session, user, ticket; two searches (the agent's language, the customer's), each three
    # statements (the languages' counts, the query's terms, the ranking with the hits' texts);
    # the search logged; the links' articles and their published translations
    with django_assert_max_num_queries(12):
        response = client.get(f"/kb/tickets/{ticket.pk}/articles/", {"q": "parking"})

    assert len(response.context["hits"]) == 8


def test_an_empty_query_searches_nothing(agent: User, team: Team) -> None:
    ticket = _ticket(team)

    response = client_for(agent).get(f"/kb/tickets/{ticket.pk}/articles/", {"q": "  "})

    assert response.content.decode().strip() == ""
    assert not Search.objects.exists()


def test_inserting_a_result_counts_as_a_click_of_the_search(booking: Translation, agent: User, team: Team) -> None:
    _index()
    ticket = _ticket(team)
    client = client_for(agent)
    client.get(f"/kb/tickets/{ticket.pk}/articles/", {"q": "booking"})
    logged = Search.objects.get()

    response = client.post(f"/kb/searches/{logged.pk}/click/", {"translation": booking.pk}, headers=HTMX)

    logged.refresh_from_db()
    assert response.status_code == 204
    assert logged.clicked_id == booking.pk


def test_suggested_articles_come_from_the_subject_and_first_customer_message(
    booking: Translation, section: Section, agent: User, team: Team, supervisor: User
) -> None:
    article(section=section, title="Pets in rooms", body="Dogs and cats are welcome.", actor=supervisor)
    _index()
    ticket = _ticket(
        team,
        language="es",
        subject="Pregunta",
        body_text="Hola, necesito cambiar las fechas de mi reserva. ¿Puedo cambiar la reserva en línea?",
    )

    response = client_for(agent).get(f"/kb/tickets/{ticket.pk}/suggested/", headers=HTMX)

    content = response.content.decode()
    assert [row.hit.article_id for row in response.context["hits"]] == [booking.article_id]
    assert f"/help/es/articles/{booking.article_id}-" in content
    assert "Pets in rooms" not in content


def test_a_ticket_nothing_matches_says_so(booking: Translation, agent: User, team: Team) -> None:
    _index()
    ticket = _ticket(team, subject="Invoice", body_text="Please send the invoice for March.")

    content = client_for(agent).get(f"/kb/tickets/{ticket.pk}/suggested/").content.decode()

    assert "No article matches this ticket." in content


def test_the_suggestions_queries_do_not_grow_with_hits(
    section: Section,
    agent: User,
    team: Team,
    supervisor: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for n in range(8):
        source = article(
            section=section, title=f"Late check-in {n}", body="Keys at the late check-in box.", actor=supervisor
        )
        translate(source.article, locale="es", title=f"Llegada tarde {n}", actor=supervisor)
    _index()
    ticket = _ticket(team, subject="Late check-in", body_text="We arrive late: where is the late check-in box?")
    client = client_for(agent)

    # session, user, ticket, first message; the search (the languages' counts, the query's
    # terms, the ranking with the hits' texts); the links' articles and their published
    # translations
    with django_assert_max_num_queries(9):
        response = client.get(f"/kb/tickets/{ticket.pk}/suggested/")

    assert len(response.context["hits"]) == 5


def test_the_ticket_page_loads_the_suggestions_afterwards(agent: User, team: Team) -> None:
    ticket = _ticket(team)

    content = client_for(agent).get(f"/tickets/{ticket.pk}/").content.decode()

    assert f'hx-get="/kb/tickets/{ticket.pk}/suggested/" hx-trigger="load"' in content
    assert f'hx-get="/kb/tickets/{ticket.pk}/articles/"' in content
    assert 'href="#kb-article-q" data-kb-focus' in content


def test_a_closed_ticket_has_no_article_panel(agent: User, team: Team) -> None:
    ticket = _ticket(team)
    Ticket.objects.filter(pk=ticket.pk).update(status="closed")

    content = client_for(agent).get(f"/tickets/{ticket.pk}/").content.decode()

    assert "kb-article-q" not in content


def test_other_pages_queries_do_not_grow(
    supervisor: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(5):
        category = CategoryFactory.create()
        SectionFactory.create_batch(3, category=category)
        ChangelogEntryFactory.create(title=f"Release {n}")
    SubscriptionFactory.create_batch(3)
    client = client_for(supervisor)

    # session, user; categories; their sections with article counts
    with django_assert_max_num_queries(4):
        assert len(client.get("/kb/categories/").context["rows"]) == 5
    # session, user; entries; subscribers per language
    with django_assert_max_num_queries(4):
        assert len(client.get("/kb/changelog/").context["entries"]) == 5
