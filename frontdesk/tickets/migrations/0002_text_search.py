"""Full-text search over ticket subjects and message bodies.

SQLite: two external-content FTS5 tables that index tickets_ticket.subject and
tickets_message.body_text, kept in step by triggers, so that every write path
(services, bulk loads, the admin) is indexed. PostgreSQL: GIN indexes on
to_tsvector('simple', …), which need no syncing. `tickets.selectors._text_match`
queries both with the same expressions.
"""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE tickets_ticket_fts USING fts5(subject, content='tickets_ticket', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE tickets_message_fts USING fts5(body_text, content='tickets_message', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER tickets_ticket_fts_ai AFTER INSERT ON tickets_ticket BEGIN "
    "INSERT INTO tickets_ticket_fts(rowid, subject) VALUES (new.id, new.subject); END",
    "CREATE TRIGGER tickets_ticket_fts_ad AFTER DELETE ON tickets_ticket BEGIN "
    "INSERT INTO tickets_ticket_fts(tickets_ticket_fts, rowid, subject) VALUES ('delete', old.id, old.subject); END",
    "CREATE TRIGGER tickets_ticket_fts_au AFTER UPDATE OF subject ON tickets_ticket BEGIN "
    "INSERT INTO tickets_ticket_fts(tickets_ticket_fts, rowid, subject) VALUES ('delete', old.id, old.subject); "
    "INSERT INTO tickets_ticket_fts(rowid, subject) VALUES (new.id, new.subject); END",
    "CREATE TRIGGER tickets_message_fts_ai AFTER INSERT ON tickets_message BEGIN "
    "INSERT INTO tickets_message_fts(rowid, body_text) VALUES (new.id, new.body_text); END",
    "CREATE TRIGGER tickets_message_fts_ad AFTER DELETE ON tickets_message BEGIN "
    "INSERT INTO tickets_message_fts(tickets_message_fts, rowid, body_text) VALUES ('delete', old.id, old.body_text); "
    "END",
    "CREATE TRIGGER tickets_message_fts_au AFTER UPDATE OF body_text ON tickets_message BEGIN "
    "INSERT INTO tickets_message_fts(tickets_message_fts, rowid, body_text) VALUES ('delete', old.id, old.body_text); "
    "INSERT INTO tickets_message_fts(rowid, body_text) VALUES (new.id, new.body_text); END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_ai",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_ad",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_au",
    "DROP TRIGGER IF EXISTS tickets_message_fts_ai",
    "DROP TRIGGER IF EXISTS tickets_message_fts_ad",
    "DROP TRIGGER IF EXISTS tickets_message_fts_au",
    "DROP TABLE IF EXISTS tickets_ticket_fts",
    "DROP TABLE IF EXISTS tickets_message_fts",
]
POSTGRES_FORWARD = [
    "CREATE INDEX tickets_ticket_subject_fts ON tickets_ticket USING gin (to_tsvector('simple', subject))",
    "CREATE INDEX tickets_message_body_fts ON tickets_message USING gin (to_tsvector('simple', body_text))",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS tickets_ticket_subject_fts",
    "DROP INDEX IF EXISTS tickets_message_body_fts",
]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]


def recreate_sqlite_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    """For later migrations: on SQLite, adding a field with a default rebuilds its table, which
    drops the table's full-text triggers; this creates them all again (dropping any left first)."""
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in SQLITE_BACKWARD + SQLITE_FORWARD:
        if "TRIGGER" in statement:
            schema_editor.execute(statement)
