"""The knowledge base's agents' side in a real browser on a real server: the ticket page suggests an
article and the reply box inserts its link in the customer's language; an editor sees the preview
follow her typing, saves a version and compares it with the one before.

The server is the workspace browser tests' (`running_server`), over its own data.
"""

import re
import textwrap
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, expect

from frontdesk.workspace.tests import conftest as workspace
from frontdesk.workspace.tests.test_browser import PASSWORD, SCREENSHOTS, running_server, signed_in

browser = workspace.browser  # the workspace's fixture: Debian's Chromium

pytestmark = pytest.mark.browser

# Runs inside `frontdesk manage shell` (autocommit: the search index is updated as each service
# returns). An English article with its Spanish translation, both published; a Spanish guest's ticket.
SETUP = textwrap.dedent(
    """
    from django.utils import timezone
    from frontdesk.accounts.services import contact_create, team_create, user_create
    from frontdesk.kb.services import (
        article_create, category_save, section_save, translation_save, translation_set_status,
    )
    from frontdesk.tickets.services import ticket_create

    now = timezone.now()
    ana = user_create(email="ana@hotel.test", name="Ana Agent", password="{password}")
    sue = user_create(email="sue@hotel.test", name="Sue Supervisor", password="{password}", role="supervisor")
    team = team_create(name="Reservations", members=[ana])
    category = category_save(actor=sue, slug="stay", names={{"en": "Your stay", "es": "Su estancia"}})
    section = section_save(actor=sue, category=category, slug="bookings", names={{"en": "Bookings"}})
    english = article_create(actor=sue, section=section, visibility="public", locale="en",
                             title="How to change a booking", body="Open **My bookings** and choose *Change*.", now=now)
    translation_set_status(actor=sue, translation=english, status="published", now=now)
    spanish = translation_save(actor=sue, article=english.article, locale="es", title="Cómo cambiar una reserva",
                               body="Abra **Mis reservas** y elija *Cambiar*.", now=now)
    translation_set_status(actor=sue, translation=spanish, status="published", now=now)
    guest = contact_create(name="Lucía", email="lucia@example.com")
    ticket = ticket_create(subject="Cambiar reserva", requester=guest, channel="email", language="es",
                           body_text="Hola, necesito cambiar las fechas de mi reserva.", team=team, actor=None, now=now)
    print(f"TICKET={{ticket.pk}} ARTICLE={{english.article_id}} SLUG={{spanish.slug}}")
    """
).format(password=PASSWORD)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    with running_server(tmp_path_factory.mktemp("browser-kb-data"), SETUP) as (url, printed):
        yield url, dict(part.split("=", 1) for part in printed.split()[-3:])


def test_the_ticket_page_suggests_an_article_and_the_reply_gets_its_spanish_link(
    server: tuple[str, dict[str, str]], browser: Browser
) -> None:
    url, ids = server
    ana = signed_in(browser, url, "ana@hotel.test")
    ana.goto(f"{url}/tickets/{ids['TICKET']}/")

    suggested = ana.locator("#kb-suggested .kb-hit")
    expect(suggested).to_have_count(1)
    expect(suggested.first).to_contain_text("Cómo cambiar una reserva")

    reply = ana.locator("#reply-form textarea")
    reply.fill("Hola Lucía, aquí lo explicamos:")
    ana.get_by_role("link", name="Insert article").click()
    expect(ana.locator("#kb-article-q")).to_be_focused()
    ana.keyboard.type("change booking", delay=20)
    found = ana.locator("#kb-article-results .kb-hit")
    expect(found).to_have_count(1)
    found.get_by_role("button", name="Insert link (es)").click()

    link = f"/help/es/articles/{ids['ARTICLE']}-{quote(ids['SLUG'])}/"
    expect(reply).to_have_value(
        re.compile(r"^Hola Lucía, aquí lo explicamos:\nCómo cambiar una reserva: http\S+" + re.escape(link) + "$")
    )
    expect(reply).to_be_focused()
    ana.screenshot(path=str(SCREENSHOTS / "frontdesk-kb-reply.png"), full_page=True)


def test_an_editor_previews_saves_and_compares_versions(server: tuple[str, dict[str, str]], browser: Browser) -> None:
    url, ids = server
    sue = signed_in(browser, url, "sue@hotel.test")
    sue.goto(f"{url}/kb/articles/{ids['ARTICLE']}/en/edit/")

    body = sue.locator("textarea.kb-markdown")
    body.fill("## Steps\n\nOpen **My trips** and choose *Change*.")
    expect(sue.locator("#kb-preview h2")).to_have_text("Steps")
    expect(sue.locator("#kb-preview strong")).to_have_text("My trips")
    sue.fill("#id_note", "Renamed the menu")
    sue.screenshot(path=str(SCREENSHOTS / "frontdesk-kb-editor.png"), full_page=True)
    sue.get_by_role("button", name="Save as a new version").click()
    expect(sue.locator(".mail-notice")).to_have_text("Saved as version 2.")

    sue.get_by_role("link", name="History").click()
    expect(sue.locator(".kb-diff-added code").filter(has_text="My trips")).to_have_count(1)
    expect(sue.locator(".kb-diff-removed code").filter(has_text="My bookings")).to_have_count(1)
    expect(sue.locator(".kb-versions")).to_contain_text("Renamed the menu")
    sue.screenshot(path=str(SCREENSHOTS / "frontdesk-kb-history.png"), full_page=True)

    sue.goto(f"{url}/kb/")
    expect(sue.locator(f'tr[data-article="{ids["ARTICLE"]}"] .kb-outdated')).to_have_count(1)  # Spanish is behind
