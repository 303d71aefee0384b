"""Agents in real browsers on a real server: one replies, the other sees it live; one pauses
intake, and the team dashboard another has open shows it.

The server is uvicorn serving frontdesk.asgi:application in a subprocess, on a
free loopback port, against its own SQLite file that this module prepares with
`frontdesk migrate` and the services. Chromium is Debian's, driven by Playwright
(the `browser` fixture, in conftest.py).
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
SELECTED = re.compile(r"\bis-selected\b")
# For a person to look at after a run; never committed.
SCREENSHOTS = Path(os.environ.get("FRONTDESK_SCREENSHOTS", tempfile.gettempdir()))

# Runs inside `frontdesk manage shell`: two agents of one team, a few tickets, one to work on,
# and an agent of no team (routing gives her none of these tickets when she starts work).
SETUP = textwrap.dedent(
    """
    from datetime import timedelta
    from django.utils import timezone
    from frontdesk.accounts.services import contact_create, team_create, user_create
    from frontdesk.tickets.services import ticket_add_note, ticket_create, ticket_update

    now = timezone.now()
    ana = user_create(email="ana@hotel.test", name="Ana Agent", password="{password}")
    ben = user_create(email="ben@hotel.test", name="Ben Agent", password="{password}")
    user_create(email="cleo@hotel.test", name="Cleo Agent", password="{password}")
    team = team_create(name="Reservations", members=[ana, ben])
    subjects = ["Late check-in tonight", "Parking for a camper van", "Invoice for March stay",
                "Breakfast hours", "Wifi does not work in room 12", "Change of dates"]
    for n, subject in enumerate(subjects):
        guest = contact_create(name=f"Guest {{n}}", email=f"guest{{n}}@example.com")
        ticket = ticket_create(subject=subject, requester=guest, channel=["email", "chat", "airbnb"][n % 3],
                               body_text=f"Hello, about {{subject.lower()}}.", team=team, tags=["vip"] if n % 2 else [],
                               booking_stage="pre_check_in", actor=None, now=now - timedelta(minutes=10 * n))
    greta = contact_create(name="Greta Guest", email="greta@example.com")
    ticket = ticket_create(subject="Key box code for apartment 4", requester=greta, channel="email",
                           body_text="We arrive at 23:00. How do we get the keys?", team=team,
                           booking_stage="pre_check_in", booking_channel="airbnb", actor=None, now=now)
    ticket_add_note(ticket=ticket, author=ben, body_text="Greta stayed with us last year.", now=now)
    ticket_update(ticket=ticket, actor=ben, priority="high", tags=["late-arrival"], now=now)
    print(f"TICKET={{ticket.pk}}")
    """
).format(password=PASSWORD)


UVICORN = [sys.executable, "-m", "uvicorn", "frontdesk.asgi:application", "--host", "127.0.0.1"]
UVICORN += ["--lifespan", "off", "--no-access-log"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1):  # noqa: S310  # our own loopback server
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"the server did not answer within 30 s:\n{log.read_text()[-3000:]}")


@contextmanager
def running_server(data: Path, setup: str) -> Iterator[tuple[str, str]]:
    """uvicorn on a free loopback port over a fresh SQLite file in `data`, prepared by `setup`
    (run in `frontdesk manage shell`); yields the server's URL and what `setup` printed."""
    env = {**os.environ, "FRONTDESK_DATA": str(data), "FRONTDESK_SECRET_KEY": "browser-test-key"}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)  # the server gets its own SQLite file and in-memory channel layer
    cli = [sys.executable, "-m", "frontdesk.cli"]
    subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True)
    prepared = subprocess.run(
        [*cli, "manage", "shell", "-c", setup], env=env, check=True, capture_output=True, text=True
    )
    port = _free_port()
    log = data / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*UVICORN, "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield url, prepared.stdout
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    with running_server(tmp_path_factory.mktemp("browser-data"), SETUP) as (url, printed):
        yield url, int(printed.split("TICKET=")[1].split()[0])


def signed_in(browser: Browser, url: str, email: str) -> Page:
    page = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
    page.goto(url + "/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/views/open/")
    return page


def test_a_reply_and_status_change_show_up_live_for_another_agent(server: tuple[str, int], browser: Browser) -> None:
    url, ticket_id = server
    ana = signed_in(browser, url, "ana@hotel.test")
    ben_inbox = signed_in(browser, url, "ben@hotel.test")
    ben_ticket = ben_inbox.context.new_page()
    ben_inbox.goto(url + "/views/all/")
    ben_ticket.goto(f"{url}/tickets/{ticket_id}/")
    ana.goto(f"{url}/tickets/{ticket_id}/")
    for page in (ana, ben_ticket):
        expect(page.locator("body")).to_have_attribute("data-live", "watching")
    expect(ben_inbox.locator("body")).to_have_attribute("data-live", "on")
    # Proof that Ben's pages are never reloaded: a reload would forget this.
    for page in (ben_inbox, ben_ticket):
        page.evaluate("window.notReloaded = true")
    ben_inbox.screenshot(path=str(SCREENSHOTS / "frontdesk-inbox.png"), full_page=True)

    ana.keyboard.press("r")
    ana.keyboard.type("Hello Greta, the key box code is 4711.", delay=15)
    expect(ben_ticket.locator("#collision")).to_have_text("Ana Agent is replying…")
    ana.get_by_role("button", name="Send and mark pending").click()

    expect(ana.locator("#ticket-conversation")).to_contain_text("the key box code is 4711")
    expect(ana.locator("#id_reply-body")).to_have_value("")
    expect(ben_ticket.locator("#ticket-conversation")).to_contain_text("the key box code is 4711")
    expect(ben_ticket.locator("#ticket-header .badge")).to_have_text("Pending")
    expect(ben_ticket.locator("#ticket-history")).to_contain_text("Ana Agent changed status from New to Pending")
    expect(ben_inbox.locator(f'[data-ticket-row="{ticket_id}"] .col-status')).to_have_text("Pending")
    expect(ben_inbox.locator('[data-count="pending"]')).to_have_text("1")
    for page in (ben_inbox, ben_ticket):
        assert page.evaluate("window.notReloaded") is True
    ana.screenshot(path=str(SCREENSHOTS / "frontdesk-ticket.png"), full_page=True)


def test_properties_change_in_place_and_errors_show_beside_the_form(server: tuple[str, int], browser: Browser) -> None:
    url, ticket_id = server
    ana = signed_in(browser, url, "ana@hotel.test")
    ana.goto(f"{url}/tickets/{ticket_id}/")

    ana.select_option("#id_priority", "urgent")
    expect(ana.locator("#ticket-history")).to_contain_text("Ana Agent changed priority from High to Urgent")
    ana.keyboard.press("e")
    ana.get_by_role("button", name="Escalate to manager").last.click()

    expect(ana.locator("#escalate-manager .field-error")).to_have_text("Say why a manager is needed.")


def test_keyboard_moves_through_the_inbox_and_opens_a_ticket(server: tuple[str, int], browser: Browser) -> None:
    url, _ = server
    ben = signed_in(browser, url, "ben@hotel.test")
    ben.goto(url + "/views/all/")
    first, second = ben.locator("[data-ticket-row]").nth(0), ben.locator("[data-ticket-row]").nth(1)

    ben.keyboard.press("?")
    expect(ben.locator("#shortcuts")).to_be_visible()
    ben.keyboard.press("Escape")
    ben.keyboard.press("j")
    ben.keyboard.press("j")
    expect(second).to_have_class(SELECTED)
    ben.keyboard.press("k")
    expect(first).to_have_class(SELECTED)
    ben.keyboard.press("Enter")

    ben.wait_for_url(f"{url}/tickets/*/")
    expect(ben.locator("#ticket-composer")).to_be_visible()


def test_the_team_dashboard_shows_an_agent_pausing_intake_without_a_reload(
    server: tuple[str, int], browser: Browser
) -> None:
    url, _ = server
    ana = signed_in(browser, url, "ana@hotel.test")
    ana.goto(url + "/dashboard/")
    expect(ana.locator("body")).to_have_attribute("data-live", "on")
    ana.evaluate("window.notReloaded = true")
    cleos_state = ana.locator("tr[data-agent-row]", has_text="Cleo Agent").locator(".col-state")
    expect(cleos_state).to_have_text("Off shift")

    cleo = signed_in(browser, url, "cleo@hotel.test")
    cleo.get_by_role("button", name="Start timer").click()
    expect(cleo.locator("#shift-bar")).to_contain_text("Working")
    expect(cleos_state).to_have_text("Working")
    cleo.get_by_role("button", name="Pause intake").click()

    expect(cleo.locator("#shift-bar")).to_contain_text("Intake paused")
    expect(cleos_state).to_have_text("Intake paused")
    assert ana.evaluate("window.notReloaded") is True
    ana.screenshot(path=str(SCREENSHOTS / "frontdesk-dashboard.png"), full_page=True)
    cleo.click("#shift-bar .shift-state")  # her own card, read-only
    expect(cleo.locator("h1")).to_have_text("Cleo Agent")
    cleo.screenshot(path=str(SCREENSHOTS / "frontdesk-agent-card.png"), full_page=True)
