"""The help centre's pages: in the URL's language with a language switcher and hreflang links,
themed, cached for anonymous readers (private once someone is signed in), searched with
logged searches and clicks, voted on, and its changelog with feeds and subscriptions.
"""

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from frontdesk.accounts.models import Contact
from frontdesk.kb import services as kb_services
from frontdesk.kb.models import ChangelogSubscription, Search, SearchSource, Vote
from frontdesk.kb.search import reindex_all
from frontdesk.kb.selectors import Reader, access_article
from frontdesk.kb.tests.factories import ChangelogEntryFactory, SectionFactory, article, editor, translate
from frontdesk.portal.tests.conftest import HelpCentreArticles, portal_client
from frontdesk.tickets.tests.factories import NOW

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


# --- pages, languages and looks -------------------------------------------------------------------


def test_help_leads_to_the_language_the_browser_asks_for(client: Client) -> None:
    assert client.get("/help/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")["Location"] == "/help/es/"
    assert client.get("/help/", HTTP_ACCEPT_LANGUAGE="de-DE")["Location"] == "/help/en/"


def test_help_leads_a_signed_in_customer_to_their_language(ada: Contact) -> None:
    ada.language = "lt"
    ada.save()

    assert portal_client(ada).get("/help/", HTTP_ACCEPT_LANGUAGE="es")["Location"] == "/help/lt/"


def test_the_home_page_lists_categories_and_sections_in_the_pages_language(
    client: Client, articles: HelpCentreArticles
) -> None:
    english = text(client.get("/help/en/"))
    spanish = text(client.get("/help/es/"))

    assert "Bookings" in english
    assert 'href="/help/en/sections/bookings/"' in english
    assert "Reservas" in spanish
    assert '<html lang="es">' in spanish
    assert 'action="/help/en/search/"' in english  # the search box


def test_an_unknown_language_has_no_help_centre(client: Client, articles: HelpCentreArticles) -> None:
    assert client.get("/help/xx/").status_code == 404
    assert client.get("/help/not-a-language/").status_code == 404


def test_the_help_centres_name_and_colours_theme_every_page(client: Client, articles: HelpCentreArticles) -> None:
    kb_services.help_centre_update(actor=editor(), now=NOW, name="Aurora Help", primary_colour="#7c2d12")

    page = text(client.get("/help/en/"))

    assert "<title>Aurora Help</title>" in page
    assert "--primary: #7c2d12;" in page


def test_the_article_page_has_hreflang_links_and_a_language_switcher(
    client: Client, articles: HelpCentreArticles
) -> None:
    public = articles.public
    spanish = translate(public.article, locale="es", title="Cambiar una reserva", body="Abra **Mis reservas**.")

    page = text(client.get(f"/help/es/articles/{public.article_id}-{spanish.slug}/"))

    en_url = f"http://testserver/help/en/articles/{public.article_id}-{public.slug}/"
    es_url = f"http://testserver/help/es/articles/{public.article_id}-{spanish.slug}/"
    assert f'<link rel="alternate" hreflang="en" href="{en_url}">' in page
    assert f'<link rel="alternate" hreflang="es" href="{es_url}">' in page
    assert f'<link rel="alternate" hreflang="x-default" href="{en_url}">' in page  # the source language
    assert 'hreflang="lt"' not in page  # no Lithuanian translation
    assert f'<link rel="canonical" href="{es_url}">' in page
    assert "Cambiar una reserva" in page
    assert "<strong>Mis reservas</strong>" in page
    assert re.search(r'<a href="/help/en/articles/\d+-change-a-booking/" hreflang="en" lang="en">English</a>', page)


def test_an_article_missing_in_the_pages_language_shows_in_its_own_and_says_so(
    client: Client, articles: HelpCentreArticles
) -> None:
    public = articles.public

    page = text(client.get(f"/help/lt/articles/{public.article_id}-{public.slug}/"))

    assert '<html lang="lt">' in page
    assert '<article class="article" lang="en">' in page
    assert 'class="notice"' in page
    assert (
        f'<link rel="canonical" href="http://testserver/help/en/articles/{public.article_id}-{public.slug}/">' in page
    )


def test_an_article_in_a_language_the_interface_does_not_speak_is_served_in_english_chrome(
    client: Client, articles: HelpCentreArticles
) -> None:
    german = translate(articles.public.article, locale="de", title="Buchung ändern", body="Öffnen Sie Buchungen.")

    page = client.get(f"/help/de/articles/{german.article_id}-{german.slug}/")

    assert page.status_code == 200
    assert "Buchung ändern" in text(page)
    assert '<html lang="en">' in text(page)
    assert page["Content-Language"] == "de"
    assert client.get(f"/help/fr/articles/{german.article_id}/").status_code == 404  # no French anywhere


def test_a_wrong_or_missing_slug_redirects_to_the_articles_address(
    client: Client, articles: HelpCentreArticles
) -> None:
    public = articles.public

    assert client.get(f"/help/en/articles/{public.article_id}/")["Location"] == (
        f"/help/en/articles/{public.article_id}-{public.slug}/"
    )
    moved = client.get(f"/help/en/articles/{public.article_id}-old-title/")
    assert moved.status_code == 301
    assert moved["Location"] == f"/help/en/articles/{public.article_id}-{public.slug}/"


def test_customers_are_never_told_a_translation_is_outdated(client: Client, articles: HelpCentreArticles) -> None:
    public = articles.public
    spanish = translate(public.article, locale="es", title="Cambiar una reserva", body="Abra Mis reservas.")
    kb_services.translation_save(
        actor=editor(), article=public.article, locale="en", title=public.title, body="New steps.", now=NOW
    )
    assert access_article(Reader(), public.article_id, locale="es").outdated

    page = text(client.get(f"/help/es/articles/{public.article_id}-{spanish.slug}/")).lower()

    assert "outdated" not in page
    assert "desactualizad" not in page
    assert "out of date" not in page


def test_breadcrumbs_lead_back_to_the_section_and_category(client: Client, articles: HelpCentreArticles) -> None:
    public = articles.public
    category = articles.section.category

    page = text(client.get(f"/help/en/articles/{public.article_id}-{public.slug}/"))

    assert f'href="/help/en/categories/{category.slug}/"' in page
    assert 'href="/help/en/sections/bookings/"' in page
    assert text(client.get(f"/help/en/categories/{category.slug}/")).count("Change a booking") == 1


# --- caching ---------------------------------------------------------------------------------


def test_anonymous_pages_are_public_for_five_minutes_with_an_etag(client: Client, articles: HelpCentreArticles) -> None:
    public = articles.public
    url = f"/help/en/articles/{public.article_id}-{public.slug}/"

    first = client.get(url)
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first["Cache-Control"] == "public, max-age=300"
    assert first["ETag"]
    assert first["Last-Modified"]
    assert "csrfmiddlewaretoken" not in text(first)  # the same page for everyone
    assert again.status_code == 304
    assert client.get("/help/en/")["Cache-Control"] == "public, max-age=300"


def test_pages_of_a_signed_in_customer_are_private(ada_client: Client, articles: HelpCentreArticles) -> None:
    public = articles.public

    response = ada_client.get(f"/help/en/articles/{public.article_id}-{public.slug}/")

    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    assert "Cookie" in response["Vary"]
    assert "private" in ada_client.get("/portal/")["Cache-Control"]


def test_search_results_are_never_cached(client: Client, articles: HelpCentreArticles) -> None:
    response = client.get("/help/en/search/?q=booking")

    assert "no-cache" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


# --- search ------------------------------------------------------------------------------------


def test_a_search_is_logged_and_the_result_opened_is_recorded(client: Client, articles: HelpCentreArticles) -> None:
    reindex_all()
    public = articles.public

    page = text(client.get("/help/en/search/?q=booking"))

    search = Search.objects.get()
    assert (search.query, search.source, search.locale, search.results) == (
        "booking",
        SearchSource.HELP_CENTRE,
        "en",
        1,
    )
    link = re.search(r'href="(/help/en/articles/\d+-change-a-booking/\?s=[^"]+)"', page)
    assert link, page
    assert "<mark>" in page
    opened = client.get(link.group(1).replace("&amp;", "&"))
    assert opened.status_code == 302
    assert opened["Location"] == f"/help/en/articles/{public.article_id}-{public.slug}/"
    search.refresh_from_db()
    assert search.clicked_id == public.pk


def test_a_forged_search_reference_records_nothing(client: Client, articles: HelpCentreArticles) -> None:
    reindex_all()
    client.get("/help/en/search/?q=booking")
    search = Search.objects.get()
    public = articles.public

    response = client.get(f"/help/en/articles/{public.article_id}-{public.slug}/?s={search.pk}")

    assert response.status_code == 302
    search.refresh_from_db()
    assert search.clicked_id is None


def test_a_search_with_no_result_is_logged_as_such(client: Client, articles: HelpCentreArticles) -> None:
    reindex_all()

    page = text(client.get("/help/en/search/?q=helicopter"))

    assert Search.objects.get().results == 0
    assert 'href="/portal/tickets/new/"' in page


def test_articles_only_in_another_language_come_last_and_are_labelled(client: Client) -> None:
    section = SectionFactory.create()
    article(section=section, title="Parking for campers", body="Camper vans park behind the hotel.")
    article(section=section, locale="es", title="Aparcamiento camper", body="Las camper aparcan detrás. Camper.")
    reindex_all()

    page = text(client.get("/help/en/search/?q=camper"))

    english, spanish = page.index("Parking for campers"), page.index("Aparcamiento camper")
    assert english < page.index("In other languages") < spanish
    assert "In Español" in page


def test_a_corrected_typo_is_shown(client: Client, articles: HelpCentreArticles) -> None:
    reindex_all()

    page = text(client.get("/help/en/search/?q=bookng"))

    assert "Showing results for" in page
    assert "Change a booking" in page


# --- votes ---------------------------------------------------------------------------------------


def test_an_anonymous_reader_votes_once_and_may_change_their_mind(client: Client, articles: HelpCentreArticles) -> None:
    public = articles.public
    url = f"/help/en/articles/{public.article_id}/vote/"

    voted = client.post(url, {"helpful": "yes"})
    commented = client.post(url, {"helpful": "no", "comment": "Step 3 is missing"})
    Client().post(url, {"helpful": "yes"})  # another reader

    assert voted.status_code == 302
    assert voted["Location"] == f"/help/en/articles/{public.article_id}-{public.slug}/?feedback=yes#feedback"
    assert commented["Location"].endswith("?feedback=commented#feedback")
    votes = sorted(Vote.objects.values_list("helpful", "comment"))
    assert votes == [(False, "Step 3 is missing"), (True, "")]
    public.refresh_from_db()
    assert (public.helpful, public.unhelpful) == (1, 1)


def test_a_signed_in_customers_vote_is_theirs(ada: Contact, ada_client: Client, articles: HelpCentreArticles) -> None:
    customers = articles.customers

    ada_client.post(f"/help/en/articles/{customers.article_id}/vote/", {"helpful": "yes"})
    Client().post(f"/help/en/articles/{customers.article_id}/vote/", {"helpful": "yes"})  # may not read it

    assert list(Vote.objects.values_list("contact", "helpful")) == [(ada.pk, True)]


def test_voting_with_htmx_swaps_in_the_thanks_and_a_comment_box(client: Client, articles: HelpCentreArticles) -> None:
    public = articles.public

    response = client.post(f"/help/en/articles/{public.article_id}/vote/", {"helpful": "yes"}, headers=HTMX)

    assert response.status_code == 200
    assert 'data-vote-state="thanks"' in text(response)
    assert 'name="comment"' in text(response)
    assert "no-cache" in response["Cache-Control"]


def test_the_feedback_page_thanks_the_reader(client: Client, articles: HelpCentreArticles) -> None:
    public = articles.public

    page = text(client.get(f"/help/en/articles/{public.article_id}-{public.slug}/?feedback=no"))

    assert 'data-vote-state="sorry"' in page
    assert "What was missing?" in page


def test_a_vote_must_say_yes_or_no(client: Client, articles: HelpCentreArticles) -> None:
    response = client.post(f"/help/en/articles/{articles.public.article_id}/vote/", {"helpful": "maybe"})

    assert response.status_code == 400
    assert Vote.objects.count() == 0


# --- changelog -------------------------------------------------------------------------------------


@pytest.fixture
def entries(db: None) -> list[object]:
    return [
        ChangelogEntryFactory.create(title="Faster search", html="<p>Search is <em>faster</em>.</p>", tags=["search"]),
        ChangelogEntryFactory.create(title="Dark mode", published_on=date(2026, 10, 1)),
        ChangelogEntryFactory.create(title="Not yet", is_published=False),
        ChangelogEntryFactory.create(title="Next month", published_on=date(2026, 12, 24)),
        ChangelogEntryFactory.create(title="Búsqueda más rápida", locale="es"),
    ]


def test_the_changelog_lists_published_entries_of_its_language_newest_first(client: Client, entries: object) -> None:
    page = text(client.get("/help/en/changelog/"))

    assert page.index("Faster search") < page.index("Dark mode")
    assert "Not yet" not in page
    assert "Next month" not in page
    assert "Búsqueda" not in page
    assert 'type="application/atom+xml"' in page
    assert client.get("/help/changelog/")["Location"] == "/help/en/changelog/"


def test_the_atom_feed_is_valid_xml_with_the_entries(client: Client, entries: object) -> None:
    response = client.get("/help/en/changelog/feed.atom")

    atom = "{http://www.w3.org/2005/Atom}"
    feed = ElementTree.fromstring(response.content)  # noqa: S314  # our own feed, made by the test
    assert response["Content-Type"].startswith("application/atom+xml")
    assert feed.tag == f"{atom}feed"
    titles = [entry.findtext(f"{atom}title") for entry in feed.findall(f"{atom}entry")]
    assert titles == ["Faster search", "Dark mode"]
    first = feed.findall(f"{atom}entry")[0]
    assert "<em>faster</em>" in (first.findtext(f"{atom}summary") or "")
    assert first.find(f"{atom}category").get("term") == "search"  # type: ignore[union-attr]


def test_the_rss_feed_is_valid_xml_with_the_entries(client: Client, entries: object) -> None:
    response = client.get("/help/es/changelog/feed.rss")

    rss = ElementTree.fromstring(response.content)  # noqa: S314  # our own feed, made by the test
    assert response["Content-Type"].startswith("application/rss+xml")
    assert rss.tag == "rss"
    assert rss.get("version") == "2.0"
    assert [item.findtext("title") for item in rss.iter("item")] == ["Búsqueda más rápida"]
    assert rss.findtext("channel/language") == "es"


def test_subscribing_asks_for_confirmation_and_the_link_confirms_after_a_click(client: Client) -> None:
    page = client.post("/help/es/changelog/subscribe/", {"email": "Reader@Example.com"})

    subscription = ChangelogSubscription.objects.get()
    assert page.status_code == 200
    assert 'data-state="requested"' in text(page)
    assert (subscription.email, subscription.locale, subscription.confirmed_at) == ("reader@example.com", "es", None)
    confirm = re.sub(r"^https?://[^/]+", "", kb_services.subscription_confirm_url(subscription, now=NOW))

    shown = client.get(confirm)
    subscription.refresh_from_db()
    assert 'data-state="confirm-confirmed"' in text(shown)
    assert subscription.confirmed_at is None
    done = client.post(confirm)
    subscription.refresh_from_db()
    assert 'data-state="confirmed"' in text(done)
    assert subscription.confirmed_at == NOW


def test_the_unsubscribe_link_takes_the_one_click_post(client: Client) -> None:
    subscription = ChangelogSubscription.objects.create(email="r@example.com", confirmed_at=NOW, created_at=NOW)
    url = re.sub(r"^https?://[^/]+", "", kb_services.subscription_cancel_url(subscription))

    response = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})

    subscription.refresh_from_db()
    assert response.status_code == 200
    assert subscription.unsubscribed_at == NOW
    assert client.post(re.sub(r"/[^/]+/$", "/forged/", url)).status_code == 422


def test_a_subscription_needs_an_address(client: Client) -> None:
    response = client.post("/help/en/changelog/subscribe/", {"email": "nope"})

    assert response.status_code == 422
    assert ChangelogSubscription.objects.count() == 0


def test_the_footer_links_the_changelog(client: Client, articles: HelpCentreArticles) -> None:
    assert 'href="/help/en/changelog/"' in text(client.get("/help/en/"))


# --- files and logo ---------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_an_articles_picture_is_served_to_those_who_may_read_the_article(
    client: Client, ada_client: Client, articles: HelpCentreArticles
) -> None:
    supervisor = editor()
    public = kb_services.article_file_add(
        actor=supervisor,
        article=articles.public.article,
        upload=SimpleUploadedFile("steps.png", PNG, content_type="image/png"),
        now=NOW,
    )
    internal = kb_services.article_file_add(
        actor=supervisor,
        article=articles.internal.article,
        upload=SimpleUploadedFile("limits.png", PNG, content_type="image/png"),
        now=NOW,
    )

    shown = client.get(f"/help/files/{public.pk}/{public.name}")

    assert shown.status_code == 200
    assert shown["Content-Type"] == "image/png"
    assert shown["Content-Disposition"].startswith("inline")
    assert "public" in shown["Cache-Control"]
    assert client.get(f"/help/files/{internal.pk}/{internal.name}").status_code == 404
    assert ada_client.get(f"/help/files/{internal.pk}/{internal.name}").status_code == 404


def test_the_logo_is_served_and_shown(client: Client, articles: HelpCentreArticles) -> None:
    kb_services.help_centre_update(
        actor=editor(), now=NOW, logo=SimpleUploadedFile("logo.png", PNG, content_type="image/png")
    )

    page = text(client.get("/help/en/"))
    logo = client.get("/help/logo")

    assert re.search(r'<img src="/help/logo\?v=\d+" alt="" height="32">', page)
    assert logo.status_code == 200
    assert logo["Content-Type"] == "image/png"


def test_a_head_request_is_answered_like_a_get(client: Client, articles: HelpCentreArticles) -> None:
    response = client.head("/help/en/")

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"


def test_an_article_page_costs_a_few_queries_however_many_languages(
    client: Client, articles: HelpCentreArticles, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    public = articles.public
    for locale, title in (("es", "Cambiar una reserva"), ("lt", "Pakeisti užsakymą"), ("de", "Buchung ändern")):
        translate(public.article, locale=locale, title=title)
    kb_services.help_centre()

    with django_assert_max_num_queries(3):
        page = client.get(f"/help/en/articles/{public.article_id}-{public.slug}/")

    assert page.status_code == 200
    assert text(page).count('rel="alternate" hreflang=') == 5  # four languages and x-default
