"""SLA in a real browser on a real server: a ticket's countdown ticks, a breached ticket is
listed by the inbox's "breached" filter, and a breach found while the agent works rings her bell.

The server is test_browser.py's, over its own data (an SLA policy of
30 minutes to a first response, 24/7).
"""

import re
import textwrap
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from frontdesk.workspace.tests.test_browser import PASSWORD, SCREENSHOTS, running_server, signed_in

pytestmark = pytest.mark.browser

# Runs inside `frontdesk manage shell`. Creating a ticket refreshes its clocks (on commit, at the
# real time): one created now has 30 minutes to go; one created two hours ago breached 90 minutes
# ago, which notifies its assignee; a low-priority one has no target until its priority is raised.
SETUP = textwrap.dedent(
    """
    from datetime import timedelta
    from django.utils import timezone
    from frontdesk.accounts.services import contact_create, team_create, user_create
    from frontdesk.sla.services import sla_refresh
    from frontdesk.sla.tests.factories import policy_with
    from frontdesk.tickets.services import ticket_create

    now = timezone.now()
    policy_with({{"low": (None, None, None), "normal": (30, None, None), "high": (30, None, None)}},
                active_since=now - timedelta(days=1), updated_at=now)
    ana = user_create(email="ana@hotel.test", name="Ana Agent", password="{password}")
    team = team_create(name="Reservations", members=[ana])

    def ticket(subject, minutes_ago, **fields):
        guest = contact_create(name=f"Guest of {{subject}}", email=f"{{len(subject)}}.{{minutes_ago}}@example.com")
        created = ticket_create(subject=subject, requester=guest, channel="email", body_text="Hello.", team=team,
                                actor=None, now=now - timedelta(minutes=minutes_ago), **fields)
        sla_refresh(ticket_id=created.pk, now=timezone.now())
        return created

    counting = ticket("Late check-in tonight", 0)
    breached = ticket("Invoice for March stay", 120, assignee=ana)
    quiet = ticket("Breakfast hours", 120, assignee=ana, priority="low")
    print(f"COUNTING={{counting.pk}} BREACHED={{breached.pk}} QUIET={{quiet.pk}}")
    """
).format(password=PASSWORD)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, int]]]:
    with running_server(tmp_path_factory.mktemp("browser-sla-data"), SETUP) as (url, printed):
        tickets = dict(part.split("=") for part in printed.split()[-3:])
        yield url, {name: int(number) for name, number in tickets.items()}


def test_a_tickets_countdown_ticks_in_the_browser(server: tuple[str, dict[str, int]], browser: Browser) -> None:
    url, tickets = server
    ana = signed_in(browser, url, "ana@hotel.test")
    ana.goto(f"{url}/tickets/{tickets['COUNTING']}/")

    countdown = ana.locator("#ticket-sla .sla-countdown").first
    expect(ana.locator("#ticket-sla .sla-metric").first).to_have_text("First response")
    expect(countdown).to_have_text(re.compile(r"^(29|30):\d\d left$"))
    expect(countdown).to_have_class(re.compile(r"\bsla-soon\b"))  # under an hour: amber
    before = countdown.inner_text()
    expect(countdown).not_to_have_text(before, timeout=3000)  # a second later, without a request
    ana.screenshot(path=str(SCREENSHOTS / "frontdesk-sla-ticket.png"), full_page=True)


def test_the_breached_view_lists_the_breached_ticket_next_due_first(
    server: tuple[str, dict[str, int]], browser: Browser
) -> None:
    url, tickets = server
    ana = signed_in(browser, url, "ana@hotel.test")
    ana.goto(url + "/views/all/")
    expect(ana.locator("[data-ticket-row]")).to_have_count(3)

    ana.select_option("#id_sla", "breached")
    expect(ana.locator("[data-ticket-row]")).to_have_count(1)
    ana.select_option("#id_sort", "sla")
    ana.wait_for_url(re.compile(r"sla=breached.*sort=sla|sort=sla.*sla=breached"))

    row = ana.locator("[data-ticket-row]")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-ticket-row", str(tickets["BREACHED"]))
    badge = row.locator(".sla-badge")
    expect(badge).to_have_text(re.compile(r"^1 h (29|30|31) min late$"))
    expect(badge).to_have_class(re.compile(r"\bsla-late\b"))
    ana.screenshot(path=str(SCREENSHOTS / "frontdesk-sla-breached.png"), full_page=True)

    row.click()
    expect(ana.locator("#ticket-sla .sla-countdown").first).to_have_text(
        re.compile(r"^breached 1 h (29|30|31) min ago$")
    )


def test_a_breach_found_while_working_rings_the_bell_live(server: tuple[str, dict[str, int]], browser: Browser) -> None:
    url, tickets = server
    ana = signed_in(browser, url, "ana@hotel.test")
    bell = ana.locator("#notification-bell .bell-count")
    expect(bell).to_have_text("1")  # the breach of "Invoice for March stay", found when it was created
    ana.goto(f"{url}/tickets/{tickets['QUIET']}/")
    expect(ana.locator("body")).to_have_attribute("data-live", "watching")
    expect(ana.locator("#ticket-sla")).to_contain_text("No SLA targets apply")
    ana.evaluate("window.notReloaded = true")

    ana.select_option("#id_priority", "normal")  # 30 minutes from its creation, two hours ago

    expect(ana.locator("#ticket-sla .sla-countdown").first).to_have_text(re.compile(r"^breached 1 h \d+ min ago$"))
    expect(bell).to_have_text("2")
    assert ana.evaluate("window.notReloaded") is True

    ana.click("#notification-bell")
    unread = ana.locator(".notification.is-unread")
    expect(unread).to_have_count(2)
    unread.filter(has_text="Breakfast hours").locator("a").click()
    ana.wait_for_url(f"{url}/tickets/{tickets['QUIET']}/")
    expect(bell).to_have_text("1")
