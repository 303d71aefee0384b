"""PostgreSQL: index each message's words by the age of the message, so that a search reads the
newest messages first and stops (decision 0018).

A search keeps the newest SEARCH_CANDIDATES matching messages. With one GIN index over
every message, PostgreSQL either reads every match from the index and fetches each row to
sort them (a word in 9,000 of 3,000,000 messages: 9,000 rows fetched), or walks the
messages newest first testing each (a word in one message of 130: 130,000 rows tested);
both grow with the table. Here each word is indexed with the number of its message's
bucket of 65,536 ids in front ("45_refund" for message 2,949,121), and a search asks for
the newest bucket, then the two before it, then four, … until it has enough: the index
gives only the matches of the buckets asked for, so a search reads about as many rows at
3,000,000 messages as at 300,000.

`tickets_message_bucket` says which bucket an id is in (the search asks it for the newest);
`tickets_message_search_vector` makes the indexed words; `tickets_message_search_query` turns a
query ('refund':*) into the query for buckets `first` to `last`. It is marked PARALLEL UNSAFE so
that PostgreSQL never runs the buckets' queries side by side, which would lose their order and
the early stop (tickets.selectors._postgres_candidates). SQLite is unchanged.
"""

from django.db import migrations

FORWARD = [
    "CREATE OR REPLACE FUNCTION tickets_message_bucket(id bigint) RETURNS bigint "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT id >> 16 $$",
    "CREATE OR REPLACE FUNCTION tickets_message_search_vector(id bigint, body text) RETURNS tsvector "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT array_to_tsvector(ARRAY("
    "SELECT tickets_message_bucket(id)::text || '_' || lexeme FROM unnest(to_tsvector('simple', body)))) $$",
    # Every quoted word of `query` gets the bucket in front: 'refund':* -> '45_refund':*, once per bucket.
    "CREATE OR REPLACE FUNCTION tickets_message_search_query(query tsquery, first bigint, last bigint) "
    "RETURNS tsquery LANGUAGE sql IMMUTABLE PARALLEL UNSAFE AS $$ SELECT string_agg("
    "'(' || regexp_replace(query::text, '''((?:[^'']|'''')*)''', '''' || bucket || '_\\1''', 'g') || ')', ' | '"
    ")::tsquery FROM generate_series(first, last) bucket $$",
    "DROP INDEX IF EXISTS tickets_message_body_tsv",
    "ALTER TABLE tickets_message DROP COLUMN IF EXISTS body_tsv",
    "ALTER TABLE tickets_message ADD COLUMN body_tsv tsvector "
    "GENERATED ALWAYS AS (tickets_message_search_vector(id, body_text)) STORED",
    "CREATE INDEX tickets_message_body_tsv ON tickets_message USING gin (body_tsv)",
    "ANALYZE tickets_message",
]
BACKWARD = [
    "DROP INDEX IF EXISTS tickets_message_body_tsv",
    "ALTER TABLE tickets_message DROP COLUMN IF EXISTS body_tsv",
    "ALTER TABLE tickets_message ADD COLUMN body_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', body_text)) STORED",
    "CREATE INDEX tickets_message_body_tsv ON tickets_message USING gin (body_tsv)",
    "DROP FUNCTION IF EXISTS tickets_message_search_query(tsquery, bigint, bigint)",
    "DROP FUNCTION IF EXISTS tickets_message_search_vector(bigint, text)",
    "DROP FUNCTION IF EXISTS tickets_message_bucket(bigint)",
    "ANALYZE tickets_message",
]


def on_postgres(statements: list[str]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for statement in statements if schema_editor.connection.vendor == "postgresql" else []:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0010_fewer_foreign_key_indexes")]
    operations = [migrations.RunPython(on_postgres(FORWARD), on_postgres(BACKWARD))]
