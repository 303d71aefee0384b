"""A survey answered in a real browser moves the dashboard a supervisor has open.

The server is the workspace browser tests' (uvicorn over its own SQLite file, see
frontdesk/workspace/tests/test_browser.py), prepared with a CSAT survey that three customers
answered 5, 2 and 1 (CSAT 33.3 %), and a fourth invitation sent but not answered yet.
"""

import re
import textwrap
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from frontdesk.workspace.tests import conftest as workspace_conftest
from frontdesk.workspace.tests.test_browser import PASSWORD, SCREENSHOTS, running_server, signed_in

pytestmark = pytest.mark.browser

browser = workspace_conftest.browser  # Debian's Chromium through Playwright (skips when it is missing)

# Runs inside `frontdesk manage shell`: the answers go through the service, as the survey page's would.
SETUP = textwrap.dedent(
    """
    from datetime import timedelta
    from django.utils import timezone
    from frontdesk.accounts.services import user_create
    from frontdesk.surveys.services import answers_record, invitation_token
    from frontdesk.surveys.tests.factories import csat_survey, sent_invitation

    now = timezone.now()
    user_create(email="sue@hotel.test", name="Sue Supervisor", role="supervisor", password="{password}")
    survey = csat_survey(name="After a ticket")
    csat = survey.questions.get(kind="csat")
    for score in (5, 2, 1):
        answered = sent_invitation(survey, now=now - timedelta(hours=3))
        answers_record(invitation=answered, answers={{csat.pk: (score, "")}}, now=now - timedelta(hours=2))
    guest = sent_invitation(survey, now=now - timedelta(hours=1))
    print(f"TOKEN={{invitation_token(guest)}}")
    """
).format(password=PASSWORD)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with running_server(tmp_path_factory.mktemp("browser-surveys-data"), SETUP) as (url, printed):
        yield url, printed.split("TOKEN=")[1].split()[0]


def test_a_customer_answers_a_survey_and_the_dashboard_moves(server: tuple[str, str], browser: Browser) -> None:
    url, token = server
    sue = signed_in(browser, url, "sue@hotel.test")
    sue.goto(url + "/reports/surveys/")
    csat = sue.locator("[data-metric=csat]")
    answers = sue.locator("[data-metric=csat-answers]")
    expect(answers).to_have_text("3")
    expect(csat).to_have_text("33.3")  # one of three answered 4 or 5

    guest = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    guest.goto(f"{url}/s/{token}/")
    expect(guest.locator("h1")).to_have_text("How did we do?")
    guest.locator("fieldset[data-kind=csat] label.option", has_text=re.compile(r"^5$")).click()
    expect(guest.locator("fieldset[data-kind=csat] input[value='5']")).to_be_checked()
    guest.get_by_label("Is there anything else you would like to tell us?").fill("Quick and friendly check-in.")
    guest.screenshot(path=str(SCREENSHOTS / "frontdesk-survey-phone.png"), full_page=True)
    guest.get_by_role("button", name="Send").click()
    expect(guest.locator("[data-state=thanks]")).to_contain_text("Thank you for your answers!")

    sue.reload()
    expect(answers).to_have_text("4")
    expect(csat).to_have_text("50.0")  # two of four
    sue.screenshot(path=str(SCREENSHOTS / "frontdesk-survey-dashboard.png"), full_page=True)
