"""Builds the benchmark data set straight into the tables, fast.

Runs inside a Django process (see bench/prepare.py). Rows are written in
batches with executemany (SQLite) or COPY (PostgreSQL), with explicit ids so
that messages and events can point at their tickets without reading back.
The SQLite FTS5 triggers (tickets migration 0002) index every inserted row; on
PostgreSQL the GIN expression indexes do. Everything is derived from one seed,
so the same size always gives the same data set.
"""

import bisect
import random
import string
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import NOT_PROVIDED

from bench import DATASET_VERSION
from frontdesk.accounts.models import Contact, ContactIdentity, Organisation, Role, Team, User
from frontdesk.demo.services import FIRST_NAMES, LAST_NAMES, ORGANISATIONS, SCENARIOS
from frontdesk.tickets.models import Message, Tag, Ticket, TicketEvent

BATCH = 5_000
AGENTS = 50
TEAMS = 10
TAGS = 40
WORDS_PER_TICKET = 30  # drawn from the vocabulary: 2 in the subject, 12, 8 and 8 in the three messages
PASSWORD = "bench-password-1"  # noqa: S105  # every bench agent's; throwaway benchmark data
BENCH_AGENT_EMAIL = "agent1@bench.frontdesk"

LANGUAGES = [("en", 60), ("es", 25), ("lt", 15)]
CHANNELS = [
    ("email", 30),
    ("airbnb", 14),
    ("booking_com", 12),
    ("whatsapp", 12),
    ("chat", 12),
    ("phone", 8),
    ("sms", 4),
    ("web", 6),
    ("api", 2),
]
PRIORITIES = [("normal", 70), ("low", 12), ("high", 14), ("urgent", 4)]
BOOKING_CHANNELS = [("airbnb", 40), ("booking_com", 30), ("direct", 20), ("vrbo", 10)]
# Final status weights: tickets of the last two weeks are mostly still being worked on,
# older ones mostly closed. Overall about 15% are new/open/pending/on hold.
RECENT = timedelta(days=14)
STATUS_RECENT = [("new", 15), ("open", 30), ("pending", 20), ("on_hold", 5), ("solved", 20), ("closed", 10)]
STATUS_OLDER = [("new", 2), ("open", 5), ("pending", 4), ("on_hold", 1), ("solved", 6), ("closed", 82)]


@dataclass(frozen=True)
class Built:
    tickets: int
    seconds: float
    version: int
    search_words: list[tuple[str, int]]  # words in roughly 0.2–2% of tickets, each with its ticket count
    common_word: tuple[str, int]  # the word in the most tickets, with its count
    references: list[str]  # booking references, each in exactly one ticket


def _weighted(rng: random.Random, choices: Sequence[tuple[str, int]], k: int) -> list[str]:
    return rng.choices([value for value, _ in choices], weights=[weight for _, weight in choices], k=k)


class Vocabulary:
    """Real words from the demo conversations plus a long tail of made-up place and product names,
    drawn with Zipf frequencies so that some words are in most tickets and most words in few."""

    def __init__(self, rng: random.Random, size: int = 20_000) -> None:
        real = sorted(
            {
                word.strip(".,:;!?¿¡()–—\"'").lower()
                for scenario in SCENARIOS
                for texts in scenario.texts.values()
                for text in texts
                for word in text.split()
            }
            - {""}
        )
        syllables = ["ka", "lo", "ve", "ri", "mas", "to", "ne", "dru", "sa", "pel", "vi", "gor", "an", "tes", "bu"]
        made_up: set[str] = set()
        while len(made_up) < size:
            made_up.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
        self.words = sorted(made_up) + real
        rng.shuffle(self.words)
        self._cumulative = list(accumulate(1.0 / (rank + 10) for rank in range(len(self.words))))

    def sample(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self._cumulative, k=k)

    def word_at_share(self, share: float, draws_per_ticket: int) -> int:
        """The rank whose word is in about `share` of tickets, given the draws each ticket makes."""
        total = self._cumulative[-1]
        target = share / draws_per_ticket * total
        return min(range(len(self.words)), key=lambda rank: abs(1.0 / (rank + 10) - target))


def build(*, tickets: int, now: datetime, seed: int = 1, out: Any = sys.stderr) -> Built:
    started = time.perf_counter()
    rng = random.Random(seed)
    vocabulary = Vocabulary(rng)
    # Search words at known shares of tickets, and the most common word. Their ticket counts are
    # taken while generating; a search matches a word as a prefix, and so does the count.
    watched = [
        vocabulary.words[vocabulary.word_at_share(share, WORDS_PER_TICKET)] for share in (0.002, 0.005, 0.01, 0.02)
    ]
    watched.append(vocabulary.words[0])
    counts = dict.fromkeys(watched, 0)
    with transaction.atomic():
        if connection.vendor == "sqlite":
            connection.cursor().execute("PRAGMA cache_size = -200000")
        team_members = _people(rng, now)
        contacts = _contacts(rng, tickets, now)
        tags = [Tag(id=i + 1, name=name) for i, name in enumerate(_tag_names())]
        Tag.objects.bulk_create(tags)
        references = _tickets(rng, vocabulary, tickets, contacts, team_members, now, out, counts)
        _reset_sequences()
    return Built(
        tickets=tickets,
        version=DATASET_VERSION,
        seconds=time.perf_counter() - started,
        search_words=[(word, counts[word]) for word in watched[:-1]],
        common_word=(watched[-1], counts[watched[-1]]),
        references=references,
    )


def _tag_names() -> list[str]:
    base = sorted({tag for scenario in SCENARIOS for tag in scenario.tags} | {"vip", "repeat-guest", "long-stay"})
    return (base + [f"property-{n}" for n in range(TAGS)])[:TAGS]


def _people(rng: random.Random, now: datetime) -> dict[int, list[int]]:
    """50 agents (agent1 is the one the benchmark signs in as), 10 teams, 200 organisations."""
    password = make_password(PASSWORD)
    # agent1, the benchmark's agent, is a plain agent of one team.
    roles = (
        [Role.AGENT, Role.SUPERVISOR, Role.SUPERVISOR, Role.ADMIN] + [Role.AGENT] * (AGENTS - 5) + [Role.LIGHT_AGENT]
    )
    users = [
        User(
            id=n,
            email=f"agent{n}@bench.frontdesk",
            name=f"{rng.choice(FIRST_NAMES['en'])} {rng.choice(LAST_NAMES['en'])} {n}",
            role=role,
            password=password,
            created_at=now,
        )
        for n, role in enumerate(roles, start=1)
    ]
    User.objects.bulk_create(users)
    team_members: dict[int, list[int]] = {team: [] for team in range(1, TEAMS + 1)}
    for user in users:
        if user.role in (Role.AGENT, Role.LIGHT_AGENT):
            for team in {1 + (user.id - 1) % TEAMS, *([rng.randint(1, TEAMS)] if user.id > 1 else [])}:
                team_members[team].append(user.id)
    Team.objects.bulk_create(
        [Team(id=team, name=f"Team {team}", lead_id=members[0]) for team, members in team_members.items()]
    )
    Team.members.through.objects.bulk_create(
        [Team.members.through(team_id=team, user_id=user) for team, members in team_members.items() for user in members]
    )
    Organisation.objects.bulk_create(
        [
            Organisation(id=n, name=f"{name} {n}", domain=f"{n}.{domain}", region=region, created_at=now)
            for n, (name, domain, region, _) in enumerate(ORGANISATIONS * 10, start=1)
        ]
    )
    return {
        team: [user for user in members if users[user - 1].role != Role.LIGHT_AGENT]
        for team, members in team_members.items()
    }


def _contacts(rng: random.Random, tickets: int, now: datetime) -> int:
    """Four tickets per contact on average; every contact has an e-mail, a third a phone too."""
    count = max(50, tickets // 4)
    languages = _weighted(rng, LANGUAGES, count)
    contact_rows = []
    identity_rows = []
    created = connection.ops.adapt_datetimefield_value(now - timedelta(days=400))
    for n in range(1, count + 1):
        language = languages[n - 1]
        first, last = rng.choice(FIRST_NAMES[language]), rng.choice(LAST_NAMES[language])
        organisation = rng.randint(1, 200) if n % 5 == 0 else None
        contact_rows.append((n, f"{first} {last}", organisation, language, created))
        identity_rows.append((2 * n, n, "email", f"guest{n}@guests.example", True))
        if n % 3 == 0:
            identity_rows.append((2 * n + 1, n, "phone", f"+3466{n:07d}", False))
    _insert(Contact, ["id", "name", "organisation_id", "language", "created_at"], contact_rows)
    _insert(ContactIdentity, ["id", "contact_id", "kind", "value", "is_primary"], identity_rows)
    return count


def _tickets(
    rng: random.Random,
    vocabulary: Vocabulary,
    count: int,
    contacts: int,
    team_members: dict[int, list[int]],
    now: datetime,
    out: Any,
    counts: dict[str, int],
) -> list[str]:
    year = timedelta(days=365)
    prefixed = {word: {other for other in vocabulary.words if other.startswith(word)} for word in counts}
    contact_weights = list(accumulate(1.0 / (n + 50) for n in range(contacts)))  # some guests write a lot
    references: list[str] = []
    adapt = connection.ops.adapt_datetimefield_value
    first_id = 1
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        ticket_rows, message_rows, event_rows, tag_rows = [], [], [], []
        languages = _weighted(rng, LANGUAGES, size)
        channels = _weighted(rng, CHANNELS, size)
        priorities = _weighted(rng, PRIORITIES, size)
        for offset in range(size):
            ticket_id = first_id + start + offset
            created = now - year + year * (ticket_id / (count + 1)) + timedelta(minutes=rng.uniform(-30, 30))
            status = _weighted(rng, STATUS_RECENT if now - created < RECENT else STATUS_OLDER, 1)[0]
            language, channel = languages[offset], channels[offset]
            scenario = SCENARIOS[rng.randrange(len(SCENARIOS))]
            subject, body, reply = scenario.texts[language]
            team = rng.choices(range(1, TEAMS + 1), weights=range(TEAMS + 5, 5, -1))[0] if rng.random() < 0.95 else None
            assignee = _assignee(rng, status, team_members[team]) if team is not None else None
            requester = bisect.bisect_left(contact_weights, rng.random() * contact_weights[-1]) + 1
            last = min(now - timedelta(minutes=1), created + timedelta(hours=rng.expovariate(1 / 20)))
            replied = created + (last - created) * rng.uniform(0.05, 0.6)
            reference = "".join(rng.choices(string.ascii_uppercase + string.digits, k=8))
            if ticket_id % max(1, count // 100) == 0:
                references.append(reference)
            words = vocabulary.sample(rng, WORDS_PER_TICKET)
            drawn = set(words)
            for word, matching in prefixed.items():
                if not drawn.isdisjoint(matching):
                    counts[word] += 1
            subject_words = " ".join(words[:2])
            solved = last if status in ("solved", "closed") else None
            awaiting = status == "new" or (status == "open" and rng.random() < 0.6)
            needs_manager = status in ("open", "pending", "on_hold") and rng.random() < 0.01
            ticket_rows.append(
                (
                    ticket_id,
                    f"{subject} — {subject_words}",
                    requester,
                    None,
                    channel,
                    status,
                    priorities[offset],
                    scenario.type,
                    team,
                    assignee,
                    language,
                    scenario.booking_stage,
                    _booking_channel(rng, scenario.booking_stage, channel),
                    "{}",
                    awaiting,
                    needs_manager,
                    "Refund over €200 needs a supervisor's approval." if needs_manager else "",
                    adapt(created),
                    adapt(last),
                    adapt(last),
                    adapt(replied) if status != "new" else None,
                    adapt(created),
                    adapt(replied) if status != "new" else None,
                    adapt(solved) if solved else None,
                    adapt(solved + timedelta(days=4)) if status == "closed" and solved else None,
                )
            )
            author = assignee or (team_members[team][0] if team else 2)
            base = 3 * ticket_id
            bodies = [
                f"{body} {' '.join(words[2:14])}. Booking ref {reference}.",
                f"{reply} {' '.join(words[14:22])}.",
                f"{' '.join(words[22:30])}.",
            ]
            third_by_agent = rng.random() < 0.5
            message_rows += [
                (base, ticket_id, "reply", channel, None, requester, bodies[0], "", adapt(created)),
                (base + 1, ticket_id, "reply", channel, author, None, bodies[1], "", adapt(replied)),
                (
                    base + 2,
                    ticket_id,
                    "note" if third_by_agent else "reply",
                    channel,
                    author if third_by_agent else None,
                    None if third_by_agent else requester,
                    bodies[2],
                    "",
                    adapt(last),
                ),
            ]
            event_rows.append((2 * ticket_id, ticket_id, None, "created", "", "", subject, "", adapt(created)))
            if status != "new":
                event_rows.append(
                    (2 * ticket_id + 1, ticket_id, author, "changed", "status", "new", status, "", adapt(last))
                )
            for tag in rng.sample(range(1, TAGS + 1), rng.choice((0, 1, 1, 2))):
                tag_rows.append((0, ticket_id, tag))
        _insert(Ticket, TICKET_COLUMNS, ticket_rows)
        _insert(Message, MESSAGE_COLUMNS, message_rows)
        _insert(TicketEvent, EVENT_COLUMNS, event_rows)
        _insert(Ticket.tags.through, ["id", "ticket_id", "tag_id"], _unique_ids(tag_rows))
        done = start + size
        if out.isatty():
            out.write(f"\r  {done:,} / {count:,} tickets")
        elif done % max(BATCH, count // 10 // BATCH * BATCH) == 0 or done == count:
            out.write(f"  {done:,} / {count:,} tickets\n")
        out.flush()
    if out.isatty():
        out.write("\n")
    return references


TICKET_COLUMNS = [
    "id",
    "subject",
    "requester_id",
    "organisation_id",
    "channel",
    "status",
    "priority",
    "type",
    "team_id",
    "assignee_id",
    "language",
    "booking_stage",
    "booking_channel",
    "custom_fields",
    "awaiting_agent",
    "needs_manager",
    "needs_manager_reason",
    "created_at",
    "updated_at",
    "last_activity_at",
    "first_response_at",
    "last_customer_message_at",
    "last_agent_reply_at",
    "solved_at",
    "closed_at",
]
MESSAGE_COLUMNS = [
    "id",
    "ticket_id",
    "kind",
    "channel",
    "author_agent_id",
    "author_contact_id",
    "body_text",
    "body_html",
    "created_at",
]
EVENT_COLUMNS = ["id", "ticket_id", "actor_id", "kind", "field", "old_value", "new_value", "note", "created_at"]


def _unique_ids(rows: list[tuple[int, int, int]]) -> Iterator[tuple[int, int, int]]:
    """Tag links get ids 2·ticket and 2·ticket+1."""
    seen: dict[int, int] = {}
    for _, ticket, tag in rows:
        n = seen.get(ticket, 0)
        seen[ticket] = n + 1
        yield (2 * ticket + n, ticket, tag)


def _assignee(rng: random.Random, status: str, members: list[int]) -> int | None:
    chance = {"new": 0.1, "open": 0.7, "pending": 0.8, "on_hold": 0.8}.get(status, 0.95)
    return rng.choice(members) if members and rng.random() < chance else None


def _booking_channel(rng: random.Random, stage: str, channel: str) -> str:
    if not stage:
        return ""
    if channel in ("airbnb", "booking_com"):
        return channel
    return _weighted(rng, BOOKING_CHANNELS, 1)[0]


def _insert(model: Any, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Rows straight into the model's table. Required columns the builder does not know (a field
    added since) get the field's default, so a schema change does not break the builder."""
    table = model._meta.db_table
    rows = list(rows)
    if not rows:
        return
    missing = [
        field
        for field in model._meta.concrete_fields
        if field.column not in columns
        and not field.null
        and not field.primary_key
        and not getattr(field, "generated", False)
        and field.db_default is NOT_PROVIDED
    ]
    if missing:
        defaults = tuple(field.get_db_prep_save(field.get_default(), connection) for field in missing)
        columns = [*columns, *(field.column for field in missing)]
        rows = [(*row, *defaults) for row in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)  # noqa: S608


def _reset_sequences() -> None:
    """PostgreSQL identity sequences do not see explicit ids; move them past the loaded rows."""
    models = [User, Team, Team.members.through, Organisation, Contact, ContactIdentity, Tag, Ticket]
    models += [Ticket.tags.through, Message, TicketEvent]
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)
