"""FB3: no contact ever gets two surveys within the programme's N days, whatever the order of
events and the number of workers.

Properties (hypothesis): invitations for a few contacts from several surveys, due at random
instants over half a year, are sent in a random order, each at its own instant (so that time
runs backwards as often as forwards), with N random. Afterwards, for every contact, any two
sends are at least N days apart; and nothing was throttled without a send within N days of it
(the throttle never holds back more than it must). The PostgreSQL run adds workers: 2 to 6
threads, each with its own database connection, send the same invitations at once.
"""

import random
import threading
from collections import defaultdict
from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontdesk.accounts.models import Contact
from frontdesk.accounts.tests.factories import ContactFactory
from frontdesk.mail.models import OutboundEmail
from frontdesk.mail.tests.factories import MailboxFactory
from frontdesk.surveys.models import Invitation, InvitationStatus, Programme, Recipient, Survey
from frontdesk.surveys.services import invitation_schedule, invitation_send
from frontdesk.surveys.tests.factories import csat_survey
from frontdesk.tickets.tests.factories import NOW

CONTACTS = 3
SURVEYS = 3

# (contact, survey, hours after NOW): one invitation each.
events = st.lists(
    st.tuples(st.integers(0, CONTACTS - 1), st.integers(0, SURVEYS - 1), st.integers(0, 180 * 24)),
    min_size=1,
    max_size=30,
)


def _setting_up(days: int) -> tuple[list[Contact], list[Survey]]:
    Invitation.objects.all().delete()
    Recipient.objects.all().delete()  # the throttle's rows remember sends whose invitations are gone
    OutboundEmail.objects.all().delete()
    Programme.objects.update_or_create(pk=1, defaults={"throttle_days": days})
    if not Survey.objects.exists():
        MailboxFactory.create(smtp_url="smtp://127.0.0.1:2525")
        for _n in range(SURVEYS):
            csat_survey()
        for _n in range(CONTACTS):
            ContactFactory.create()
    return list(Contact.objects.order_by("pk")), list(Survey.objects.order_by("pk"))


def _schedule(plan: list[tuple[int, int, int]], contacts: list[Contact], surveys: list[Survey]) -> list[Invitation]:
    invitations = []
    for n, (contact, survey, hours) in enumerate(plan):
        at = NOW + timedelta(hours=hours)
        invitation = invitation_schedule(survey=surveys[survey], contact=contacts[contact], occasion=f"e{n}", now=at)
        assert invitation is not None
        invitations.append(invitation)
    return invitations


def _check(days: int) -> None:
    window = timedelta(days=days)
    sent: dict[int, list[Any]] = defaultdict(list)
    rows = list(Invitation.objects.values("contact_id", "status", "send_at", "sent_at"))
    for row in rows:
        assert row["status"] in (InvitationStatus.SENT, InvitationStatus.THROTTLED)
        if row["status"] == InvitationStatus.SENT:
            sent[row["contact_id"]].append(row["sent_at"])
    for times in sent.values():
        times.sort()
        for earlier, later in pairwise(times):
            assert later - earlier >= window, f"two surveys {later - earlier} apart"
    for row in rows:
        if row["status"] == InvitationStatus.THROTTLED:
            assert any(abs(s - row["send_at"]) < window for s in sent[row["contact_id"]]), "throttled for nothing"
    assert OutboundEmail.objects.count() == sum(len(times) for times in sent.values())


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=events, days=st.integers(1, 60), order=st.randoms(use_true_random=False))
def test_no_contact_gets_two_surveys_within_n_days_whatever_the_order(
    plan: list[tuple[int, int, int]], days: int, order: random.Random
) -> None:
    contacts, surveys = _setting_up(days)
    invitations = _schedule(plan, contacts, surveys)
    order.shuffle(invitations)
    for invitation in invitations:
        invitation_send(invitation_id=invitation.pk, now=invitation.send_at)
    _check(days)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=events, days=st.integers(1, 60), workers=st.integers(2, 6), seed=st.integers(0, 2**16))
def test_no_contact_gets_two_surveys_within_n_days_whatever_the_number_of_workers(
    plan: list[tuple[int, int, int]], days: int, workers: int, seed: int
) -> None:
    contacts, surveys = _setting_up(days)
    invitations = _schedule(plan, contacts, surveys)
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        mine = list(invitations)
        random.Random(seed + n).shuffle(mine)
        try:
            start.wait()
            for invitation in mine:
                invitation_send(invitation_id=invitation.pk, now=invitation.send_at)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_old_connections()
    assert not errors
    _check(days)
