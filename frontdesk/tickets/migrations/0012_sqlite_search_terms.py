"""SQLite: the terms of each full-text table, readable as rows (FTS5's fts5vocab).

A search word matches the terms it begins. FTS5 answers such a prefix query by merging all
those terms' postings before it yields a row; `tickets.selectors._fts_match` reads the
terms here instead and asks for them as an OR, which FTS5 reads newest first and stops at
the LIMIT (decision 0018). The vocabulary tables hold nothing themselves: they read the
full-text index. PostgreSQL is unchanged.
"""

from django.db import migrations

TABLES = ["tickets_ticket_fts", "tickets_message_fts"]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {table}_terms USING fts5vocab({table}, 'row')")


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(f"DROP TABLE IF EXISTS {table}_terms")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0011_postgres_message_search_by_age")]
    operations = [migrations.RunPython(forward, backward)]
