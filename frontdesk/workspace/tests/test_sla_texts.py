"""How SLA deadlines read in the workspace: badges, countdowns and tones (pure: no database)."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from frontdesk.workspace.templatetags.workspace import sla_badge_text, sla_countdown_text, sla_texts, sla_tone

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("left", "tone"),
    [
        (timedelta(hours=1, seconds=1), "ok"),
        (timedelta(hours=1), "soon"),  # "due within the hour" includes the hour
        (timedelta(seconds=1), "soon"),
        (timedelta(0), "late"),  # "breached" includes the deadline itself
        (timedelta(days=-2), "late"),
    ],
)
def test_tone_follows_the_inbox_filters(left: timedelta, tone: str) -> None:
    assert sla_tone(NOW + left, NOW) == tone


@pytest.mark.parametrize(
    ("left", "text"),
    [
        (timedelta(minutes=41, seconds=1), "in 42 min"),  # minutes ahead round up
        (timedelta(seconds=20), "in 1 min"),
        (timedelta(seconds=0.5), "in 1 min"),
        (timedelta(hours=3), "in 3 h"),
        (timedelta(hours=3, minutes=10), "in 3 h 10 min"),
        (timedelta(days=2, hours=4, minutes=59), "in 2 d 4 h"),  # the two largest units only
        (timedelta(days=3), "in 3 d"),
        (timedelta(0), "1 min late"),  # never "0 min late"
        (-timedelta(minutes=5, seconds=59), "5 min late"),
        (-timedelta(hours=26), "1 d 2 h late"),
    ],
)
def test_badge_reads_how_long_until_or_since_the_deadline(left: timedelta, text: str) -> None:
    assert sla_badge_text(NOW + left, NOW) == text


@pytest.mark.parametrize(
    ("left", "text"),
    [
        (timedelta(minutes=41, seconds=59), "41:59 left"),
        (timedelta(seconds=5), "0:05 left"),
        (timedelta(hours=7, minutes=2, seconds=3), "7:02:03 left"),
        (timedelta(days=1, minutes=1), "1 d 0:01:00 left"),
        (timedelta(seconds=0.5), "0:00 left"),
        (timedelta(0), "breached 1 min ago"),
        (-timedelta(minutes=12, seconds=30), "breached 12 min ago"),
        (-timedelta(hours=2, minutes=1), "breached 2 h 1 min ago"),
    ],
)
def test_countdown_reads_to_the_second_then_since_when(left: timedelta, text: str) -> None:
    assert sla_countdown_text(NOW + left, NOW) == text


def test_the_script_gets_the_same_wording() -> None:
    element = str(sla_texts())
    texts = json.loads(
        element.removeprefix('<script id="sla-texts" type="application/json">').removesuffix("</script>")
    )

    assert texts["in"] == "in %(time)s"
    assert texts["breached"] == "breached %(time)s ago"
    assert texts["hoursMinutes"] == "%(hours)d h %(minutes)d min"
