"""The survey dashboard (/reports/surveys/), its drill-down to the answers (/reports/surveys/answers/)
and its CSV (/reports/surveys.csv)."""

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from frontdesk.accounts.models import Role, Team, User
from frontdesk.accounts.tests.factories import ContactFactory, TeamFactory, UserFactory
from frontdesk.surveys.models import Answer, Invitation, InvitationStatus, QuestionKind, Survey
from frontdesk.surveys.tests.factories import SurveyFactory, answer, sent_invitation
from frontdesk.tickets.tests.factories import TicketFactory
from frontdesk.workspace.tests.conftest import client_for

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
OCTOBER = "start=2026-10-01&end=2026-10-31"
DAY = datetime(2026, 10, 6, 10, 0, tzinfo=UTC)  # in the week of Monday 5 October


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def survey() -> Survey:
    return SurveyFactory.create(name="After a ticket")


def invited(survey: Survey, at: datetime = DAY, *, answered: bool = True, **fields: Any) -> Invitation:
    invitation = sent_invitation(survey, now=at, **fields)
    if answered:
        Invitation.objects.filter(pk=invitation.pk).update(status=InvitationStatus.ANSWERED, answered_at=at)
    return invitation


def scored(survey: Survey, kind: str, values: list[int], at: datetime = DAY, **fields: Any) -> list[Answer]:
    return [answer(invited(survey, at, **fields), kind, value, now=at) for value in values]


@pytest.fixture
def reservations(survey: Survey) -> Team:
    """October: the Reservations team's 10 CSAT answers (6 of them 4–5) and 10 NPS answers (5
    promoters, 2 passives, 3 detractors); 2 CSAT answers (both 5) without a team; 3 CES answers;
    and 5 invitations sent that nobody answered: 27 sent, 22 answered."""
    team = TeamFactory.create(name="Reservations")
    ana = UserFactory.create(name="Ana Agent")
    scored(survey, QuestionKind.CSAT, [5, 4, 4, 3, 1, 2, 5, 4, 5, 3], team=team, agent=ana, channel="email")
    scored(survey, QuestionKind.NPS, [10, 9, 9, 8, 7, 6, 0, 10, 3, 9], at=DAY + timedelta(days=14), team=team)
    scored(survey, QuestionKind.CSAT, [5, 5], channel="whatsapp")
    for _ in range(5):
        invited(survey, answered=False)
    return team


class Metrics(HTMLParser):
    """The text and address of every element with `data-metric` (its own href or its link's)."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.open: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.found: dict[str, tuple[str, str]] = {}
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append((tag, dict(attrs), []))

    def handle_data(self, data: str) -> None:
        if self.open:
            self.open[-1][2].append(data)

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            name, attrs, parts = self.open.pop()
            text = "".join(parts)
            if self.open:
                self.open[-1][2].append(text)
            metric = attrs.get("data-metric")
            if metric:
                links = [attrs.get("href")] + [outer.get("href") for _n, outer, _p in reversed(self.open)]
                self.found[metric] = (text.strip(), next((link for link in links if link), ""))
            if name == tag:
                return


def metrics(page: str) -> dict[str, tuple[str, str]]:
    return Metrics(page).found


def row_figures(page: str, key: str) -> dict[str, tuple[str, str]]:
    """{figure: (text, address)} of the table row with data-row=key (the first such row)."""
    row = page[page.index(f'<tr data-row="{key}"') :].split("</tr>")[0]
    return {
        figure: (text, address.replace("&amp;", "&"))
        for address, figure, text in re.findall(r'<a href="([^"]+)" data-figure="([a-z-]+)">([^<]*)</a>', row)
    }


def listed(client: Client, address: str) -> list[int]:
    """The ids of the answers a drill-down page lists."""
    response = client.get(address)
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'data-answer="(\d+)"', response.content.decode())]


def page_of(client: Client, query: str = OCTOBER) -> str:
    response = client.get(f"/reports/surveys/?{query}")
    assert response.status_code == 200, response.content[:500]
    return str(response.content.decode())


# --- who may see it ---------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AGENT, Role.LIGHT_AGENT])
def test_only_supervisors_and_admins_see_the_dashboard(role: str) -> None:
    client = client_for(UserFactory.create(role=role))

    assert client.get(f"/reports/surveys/?{OCTOBER}").status_code == 403
    assert client.get(f"/reports/surveys/answers/?{OCTOBER}").status_code == 403
    assert client.get(f"/reports/surveys.csv?{OCTOBER}").status_code == 403


def test_signing_in_comes_first() -> None:
    response = Client().get("/reports/surveys/")

    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_an_admin_sees_it_from_the_reports_menu(supervisor: User) -> None:
    admin = client_for(UserFactory.create(role=Role.ADMIN))

    assert 'href="/reports/surveys/"' in admin.get("/reports/agents/").content.decode()
    assert admin.get("/reports/surveys/").status_code == 200


def test_a_period_that_makes_no_sense_is_422(supervisor: User) -> None:
    client = client_for(supervisor)

    assert client.get("/reports/surveys/?start=2026-10-31&end=2026-10-01").status_code == 422
    assert client.get("/reports/surveys/answers/?start=2026-10-31&end=2026-10-01").status_code == 422
    assert client.get("/reports/surveys.csv?start=2026-10-31&end=2026-10-01").status_code == 422


# --- tiles --------------------------------------------------------------------------------


def test_the_tiles_show_each_score_with_its_answers(supervisor: User, reservations: Team) -> None:
    found = metrics(page_of(client_for(supervisor)))

    assert {name: text for name, (text, _link) in found.items()} == {
        "csat": "66.7",  # 8 of 12
        "csat-answers": "12",
        "nps": "20.0",
        "nps-answers": "10",
        "nps-promoters": "5",
        "nps-passives": "2",
        "nps-detractors": "3",
        "ces": "—",
        "ces-answers": "0",
        "response-rate": "81.5",
        "response-rate-answers": "22",
        "response-rate-sent": "27",
    }


def test_each_tile_opens_the_answers_behind_it(supervisor: User, reservations: Team) -> None:
    client = client_for(supervisor)
    found = metrics(page_of(client))

    assert len(listed(client, found["csat"][1])) == 12
    assert len(listed(client, found["csat-answers"][1])) == 12
    assert len(listed(client, found["nps-promoters"][1])) == 5
    assert len(listed(client, found["nps-passives"][1])) == 2
    assert len(listed(client, found["nps-detractors"][1])) == 3
    assert len(listed(client, found["response-rate-answers"][1])) == 22


def test_filters_narrow_every_figure(supervisor: User, reservations: Team) -> None:
    client = client_for(supervisor)

    by_channel = metrics(page_of(client, f"{OCTOBER}&channel=whatsapp"))
    by_team = metrics(page_of(client, f"{OCTOBER}&team={reservations.pk}"))
    without_team = metrics(page_of(client, f"{OCTOBER}&team=-"))

    assert (by_channel["csat"][0], by_channel["csat-answers"][0], by_channel["nps-answers"][0]) == ("100.0", "2", "0")
    assert (by_team["csat"][0], by_team["nps"][0], by_team["response-rate-sent"][0]) == ("60.0", "20.0", "20")
    assert (without_team["csat-answers"][0], without_team["response-rate-sent"][0]) == ("2", "7")
    assert len(listed(client, by_channel["csat"][1])) == 2


def test_a_deactivated_agents_answers_can_still_be_filtered(supervisor: User, survey: Survey) -> None:
    gone = UserFactory.create(name="Gone Agent", is_active=False)
    scored(survey, QuestionKind.CSAT, [1], agent=gone)

    found = metrics(page_of(client_for(supervisor), f"{OCTOBER}&agent={gone.pk}"))

    assert (found["csat"][0], found["csat-answers"][0]) == ("0.0", "1")


def test_an_unknown_filter_value_is_422(supervisor: User) -> None:
    client = client_for(supervisor)

    assert client.get(f"/reports/surveys/?{OCTOBER}&channel=pigeon").status_code == 422
    assert client.get(f"/reports/surveys/?{OCTOBER}&dimension=colour").status_code == 422


# --- trend and breakdown ------------------------------------------------------------------


def test_the_trend_has_a_row_per_week_each_linked_to_its_week(supervisor: User, reservations: Team) -> None:
    client = client_for(supervisor)
    page = page_of(client, f"{OCTOBER}&bucket=week")

    first_week = row_figures(page, "2026-09-28")
    answered_week = row_figures(page, "2026-10-05")
    nps_week = row_figures(page, "2026-10-19")

    assert first_week["csat-answers"][0] == "0"
    assert (answered_week["csat"][0], answered_week["csat-answers"][0]) == ("66.7 %", "12")
    assert (nps_week["nps"][0], nps_week["promoters"][0]) == ("20.0", "5")
    assert "start=2026-10-05&end=2026-10-11" in answered_week["csat"][1]
    assert "start=2026-10-01&end=2026-10-04" in first_week["csat-answers"][1]  # cut to the period
    assert len(listed(client, answered_week["csat-answers"][1])) == 12
    assert listed(client, first_week["csat-answers"][1]) == []


def test_the_bucket_follows_the_periods_length(supervisor: User, reservations: Team) -> None:
    client = client_for(supervisor)

    by_day = page_of(client, "start=2026-10-01&end=2026-10-10")
    by_week = page_of(client, "start=2026-08-01&end=2026-10-31")
    by_month = page_of(client, "start=2026-01-01&end=2026-10-31")

    assert by_day.count('<tr data-row="2026-10-') == 10
    assert '<tr data-row="2026-10-05"' in by_week
    assert '<tr data-row="2026-10-06"' not in by_week
    assert by_month.count('<tr data-row="2026-') == 10


def test_the_breakdown_by_team_links_each_row_to_its_answers(supervisor: User, reservations: Team) -> None:
    client = client_for(supervisor)
    page = page_of(client, f"{OCTOBER}&dimension=team")

    team = row_figures(page, str(reservations.pk))
    nobody = row_figures(page, "-")

    assert (team["csat"][0], team["csat-answers"][0], team["nps"][0], team["sent"][0]) == ("60.0 %", "10", "20.0", "20")
    assert (nobody["csat"][0], nobody["csat-answers"][0], nobody["sent"][0]) == ("100.0 %", "2", "7")
    assert len(listed(client, team["csat"][1])) == 10
    assert len(listed(client, team["detractors"][1])) == 3
    assert len(listed(client, nobody["csat"][1])) == 2
    assert "Reservations" in page
    assert "Not set" in page


@pytest.mark.parametrize(
    "dimension", ["survey", "agent", "organisation", "channel", "region", "product", "booking_stage"]
)
def test_every_dimension_can_break_the_figures_down(supervisor: User, reservations: Team, dimension: str) -> None:
    page = page_of(client_for(supervisor), f"{OCTOBER}&dimension={dimension}")

    total = row_figures(page[page.index("<tfoot>") :], "")

    assert (total["csat-answers"][0], total["sent"][0]) == ("12", "27")


def test_the_page_takes_the_same_queries_for_five_agents_or_fifty(supervisor: User, survey: Survey) -> None:
    def queries() -> int:
        client = client_for(supervisor)
        client.get(f"/reports/surveys/?{OCTOBER}")  # the session, the language
        with CaptureQueriesContext(connection) as captured:
            page_of(client, f"{OCTOBER}&dimension=agent")
        return len(captured)

    for _ in range(5):
        scored(survey, QuestionKind.CSAT, [4], agent=UserFactory.create())
    few = queries()
    for _ in range(45):
        scored(survey, QuestionKind.CSAT, [4], agent=UserFactory.create())

    assert queries() == few


# --- comments -----------------------------------------------------------------------------


def comment(survey: Survey, text: str, **fields: Any) -> Answer:
    return answer(invited(survey), QuestionKind.COMMENT, None, now=DAY, comment=text, **fields)


def test_themes_show_their_counts_and_negative_share(supervisor: User, survey: Survey) -> None:
    comment(survey, "Slow check-in", themes=["slow_check_in"], sentiment_label="negative", language="en")
    comment(survey, "Slow check-in again", themes=["slow_check_in"], sentiment_label="negative", language="en")
    comment(survey, "Slow but nice", themes=["slow_check_in", "friendly_staff"], sentiment_label="positive")
    client = client_for(supervisor)

    page = page_of(client)
    row = page[page.index('<tr data-theme="slow_check_in"') :].split("</tr>")[0]
    figures = {
        figure: (text, address.replace("&amp;", "&"))
        for address, figure, text in re.findall(r'<a href="([^"]+)" data-figure="([a-z-]+)">([^<]*)</a>', row)
    }

    assert (figures["comments"][0], figures["negative"][0]) == ("3", "2")
    assert "67 %" in row
    assert len(listed(client, figures["comments"][1])) == 3
    assert len(listed(client, figures["negative"][1])) == 2
    assert 'data-section="themes-over-time"' in page


def test_ideas_and_recurring_phrases_are_listed(supervisor: User, survey: Survey) -> None:
    comment(survey, "It would be great to get the door code by SMS", is_idea=True, language="en")
    for n in range(3):
        comment(survey, f"El wifi no funciona en la habitación {n}", language="es")
    client = client_for(supervisor)

    page = page_of(client)
    ideas = page[page.index('data-section="ideas"') :].split("</ul>")[0]
    phrases = page[page.index('data-section="phrases"') :]
    phrase_link = re.search(r'wifi <a href="([^"]+)">\(3\)</a>', phrases)

    assert "door code by SMS" in ideas
    assert phrase_link is not None
    assert len(listed(client, phrase_link.group(1).replace("&amp;", "&"))) == 3


# --- the drill-down -------------------------------------------------------------------------


def test_the_drill_down_shows_the_comment_the_customer_and_the_ticket(supervisor: User, survey: Survey) -> None:
    ticket = TicketFactory.create(subject="Late check-in")
    contact = ContactFactory.create(name="Greta Guest")
    invitation = invited(survey, contact=contact, ticket=ticket, agent=UserFactory.create(name="Ana Agent"))
    answer(
        invitation,
        QuestionKind.COMMENT,
        None,
        now=DAY,
        comment="Nobody told us the door code",
        themes=["lack_of_information"],
        sentiment_label="negative",
    )

    response = client_for(supervisor).get(f"/reports/surveys/answers/?{OCTOBER}&theme=lack_of_information")
    page = response.content.decode()

    assert response.status_code == 200
    assert "Nobody told us the door code" in page
    assert "Greta Guest" in page
    assert f'href="/contacts/{contact.pk}/"' in page
    assert f'href="/tickets/{ticket.pk}/"' in page
    assert "Negative" in page
    assert "Lack of information" in page
    assert "Ana Agent" in page


def test_a_detractors_drill_down_shows_what_they_wrote_beside_the_score(supervisor: User, survey: Survey) -> None:
    invitation = invited(survey)
    answer(invitation, QuestionKind.NPS, 3, now=DAY)
    answer(invitation, QuestionKind.COMMENT, None, now=DAY, comment="Check-in took an hour", sentiment_label="negative")
    scored(survey, QuestionKind.NPS, [10])

    page = client_for(supervisor).get(f"/reports/surveys/answers/?{OCTOBER}&kind=nps&score_max=6").content.decode()

    assert len(re.findall(r'data-answer="(\d+)"', page)) == 1
    assert "Check-in took an hour" in page
    assert "6 or less" in page


def test_the_drill_down_pages_through_the_answers(supervisor: User, survey: Survey) -> None:
    answers = [
        answer(invited(survey, DAY + timedelta(minutes=n)), QuestionKind.CSAT, 5, now=DAY + timedelta(minutes=n))
        for n in range(53)
    ]
    client = client_for(supervisor)

    first = client.get(f"/reports/surveys/answers/?{OCTOBER}&kind=csat").content.decode()
    following = re.search(r'<a href="\?([^"]+)" rel="next">', first)
    assert following is not None
    second = client.get(f"/reports/surveys/answers/?{following.group(1).replace('&amp;', '&')}").content.decode()

    shown = [int(pk) for pk in re.findall(r'data-answer="(\d+)"', first + second)]
    assert shown == [item.pk for item in reversed(answers)]
    assert 'rel="next"' not in second


def test_a_damaged_page_link_says_so(supervisor: User) -> None:
    response = client_for(supervisor).get(f"/reports/surveys/answers/?{OCTOBER}&cursor=garbage")

    assert response.status_code == 400


def test_the_drill_down_takes_the_same_queries_for_any_number_of_answers(supervisor: User, survey: Survey) -> None:
    def queries() -> int:
        client = client_for(supervisor)
        client.get(f"/reports/surveys/answers/?{OCTOBER}")
        with CaptureQueriesContext(connection) as captured:
            client.get(f"/reports/surveys/answers/?{OCTOBER}")
        return len(captured)

    for _ in range(3):
        answer(
            invited(survey, agent=UserFactory.create(), ticket=TicketFactory.create()), QuestionKind.CSAT, 4, now=DAY
        )
    few = queries()
    for _ in range(20):
        answer(
            invited(survey, agent=UserFactory.create(), ticket=TicketFactory.create()), QuestionKind.CSAT, 4, now=DAY
        )

    assert queries() == few


# --- the CSV --------------------------------------------------------------------------------


def test_the_csv_has_every_breakdown_row_and_the_total(supervisor: User, reservations: Team) -> None:
    response = client_for(supervisor).get(f"/reports/surveys.csv?{OCTOBER}&dimension=team")

    assert isinstance(response, StreamingHttpResponse)
    assert "surveys-by-team-2026-10-01-2026-10-31.csv" in response["Content-Disposition"]
    content = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(content)))
    assert [(row["team"], row["name"], row["csat"], row["nps"], row["sent"]) for row in rows] == [
        (str(reservations.pk), "Reservations", "60.0", "20.0", "20"),
        ("-", "Not set", "100.0", "", "7"),
        ("", "Total", "66.7", "20.0", "27"),
    ]
