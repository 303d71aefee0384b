"""The dashboards' rollup (`MonthFigures`): per UTC month, the counts `scores` reads for each
value of each dimension and for each pair of values of two dimensions, kept by triggers on
surveys_answer and surveys_invitation and filled from the rows there.

Triggers, not services, keep it: every write path changes the counts — the services, the demo's
history, bulk loads, cascades (a deleted question takes its answers; a deleted team leaves its
answers without one) and the admin — and every one of them must, for the rollup to stay exact.
Each trigger adds a row's contributions (8 single values and 28 pairs) and takes away those it
replaces, in the same transaction, with one upsert of the rows it changes, in one order (so that
concurrent transactions on PostgreSQL take the rows' locks in the same order). SQLite runs them
per row; PostgreSQL per statement, over its transition tables, so that a bulk load or a cascade
adds up all its rows at once. `scores` reads the same
counts from the rows themselves for the days around a period's whole months, so both must count
alike: change one, change the other.

SQLite drops a table's triggers when a migration rebuilds the table (adding a field with a
default, changing one): a later migration that alters surveys_answer or surveys_invitation must
run `recreate_sqlite_triggers` (below) after it, as tickets' 0002 asks for its full-text triggers.
"""

from itertools import combinations

from django.db import migrations, models

# (dimension, column, an id?) in name order: scores.COLUMNS, frozen here.
DIMENSIONS = [
    ("agent", "agent_id", True),
    ("booking_stage", "booking_stage", False),
    ("channel", "channel", False),
    ("organisation", "organisation_id", True),
    ("product", "product", False),
    ("region", "region", False),
    ("survey", "survey_id", True),
    ("team", "team_id", True),
]
COUNTS = [
    "csat_answers",
    "csat_satisfied",
    "nps_answers",
    "promoters",
    "detractors",
    "ces_answers",
    "ces_total",
    "sent",
    "answered",
]
KEY = ["dimension", "value", "other_dimension", "month", "other_value"]  # the unique constraint's columns
TABLE = "surveys_monthfigures"
# What a row of each table counts for, as SQL over the row `{r}`: when it counts, the column of its
# month, and each count (scores.py's arms count the same).
SOURCES = {
    "surveys_answer": {
        "counts_when": "{r}.score IS NOT NULL AND {r}.kind IN ('csat', 'nps', 'ces')",
        "time": "answered_at",
        "counts": {
            "csat_answers": "CASE WHEN {r}.kind = 'csat' THEN 1 ELSE 0 END",
            "csat_satisfied": "CASE WHEN {r}.kind = 'csat' AND {r}.score >= 4 THEN 1 ELSE 0 END",
            "nps_answers": "CASE WHEN {r}.kind = 'nps' THEN 1 ELSE 0 END",
            "promoters": "CASE WHEN {r}.kind = 'nps' AND {r}.score >= 9 THEN 1 ELSE 0 END",
            "detractors": "CASE WHEN {r}.kind = 'nps' AND {r}.score <= 6 THEN 1 ELSE 0 END",
            "ces_answers": "CASE WHEN {r}.kind = 'ces' THEN 1 ELSE 0 END",
            "ces_total": "CASE WHEN {r}.kind = 'ces' THEN {r}.score ELSE 0 END",
        },
        "watched": ["kind", "score", "answered_at"],
    },
    "surveys_invitation": {
        "counts_when": "{r}.sent_at IS NOT NULL AND {r}.status IN ('sent', 'answered')",
        "time": "sent_at",
        "counts": {"sent": "1", "answered": "CASE WHEN {r}.status = 'answered' THEN 1 ELSE 0 END"},
        "watched": ["status", "sent_at"],
    },
}


def _month(vendor: str, column: str) -> str:
    if vendor == "sqlite":
        return f"date({column}, 'start of month')"
    return f"date_trunc('month', {column} AT TIME ZONE 'UTC')::date"


def _value(vendor: str, column: str, is_id: bool) -> str:
    if not is_id:
        return column
    return f"COALESCE(CAST({column} AS TEXT), '')" if vendor == "sqlite" else f"COALESCE({column}::text, '')"


def _keys(vendor: str, row: str) -> list[tuple[str, str, str, str]]:
    """The row's (dimension, value, other_dimension, other_value) of each single value and pair, as SQL."""
    values = [(f"'{name}'", _value(vendor, f"{row}.{column}", is_id)) for name, column, is_id in DIMENSIONS]
    singles = [(name, value, "''", "''") for name, value in values]
    return [*singles, *((a, va, b, vb) for (a, va), (b, vb) in combinations(values, 2))]


def _contributions(vendor: str, table: str, row: str, sign: int, source_rows: str = "") -> str:
    """A SELECT of the counts (negated for -1) of `row` — a trigger's NEW or OLD on SQLite, each row of
    the transition table `source_rows` on PostgreSQL — under each of its single values and pairs."""
    source = SOURCES[table]
    counts, time = source["counts"], source["time"]
    figures = ", ".join(
        f"{sign} * ({counts[name].format(r=row)}) AS {name}" if name in counts else f"0 AS {name}" for name in COUNTS
    )
    keys = ", ".join(f"({', '.join(key)})" for key in _keys(vendor, row))
    if vendor == "sqlite":  # VALUES names its columns column1 …
        named = "k.column1 AS dimension, k.column2 AS value, k.column3 AS other_dimension, k.column4 AS other_value"
        rows = f"(VALUES {keys}) AS k"
    else:
        named = "k.dimension, k.value, k.other_dimension, k.other_value"
        rows = f"{source_rows} AS {row} CROSS JOIN LATERAL (VALUES {keys}) AS k(dimension, value, other_dimension, other_value)"
    return (
        f"SELECT {_month(vendor, f'{row}.{time}')} AS month, {named}, {figures} "  # noqa: S608 (this module's constants)
        f"FROM {rows} WHERE {source['counts_when'].format(r=row)}"
    )


def _upsert(selects: list[str]) -> str:
    """The contributions added up per row of the rollup (those that change it), then added to it, in
    one order of rows."""
    key = ", ".join(KEY)
    sums = ", ".join(f"SUM({name})" for name in COUNTS)
    changes = " OR ".join(f"SUM({name}) <> 0" for name in COUNTS)
    added = ", ".join(f"{name} = {TABLE}.{name} + excluded.{name}" for name in COUNTS)
    return (
        f"INSERT INTO {TABLE} ({key}, {', '.join(COUNTS)}) "  # noqa: S608 (this module's constants)
        f"SELECT {key}, {sums} FROM ({' UNION ALL '.join(selects)}) AS contributions "
        f"WHERE true GROUP BY {key} HAVING {changes} ORDER BY {key} "
        f"ON CONFLICT ({key}) DO UPDATE SET {added}"
    )


def _changed(table: str, old: str, new: str) -> str:
    columns = [*SOURCES[table]["watched"], *(column for _dimension, column, _id in DIMENSIONS)]
    return " OR ".join(f"{old}.{column} IS NOT {new}.{column}" for column in columns)


def sqlite_triggers() -> list[str]:
    """Row triggers: each write's row, added (new) and taken away (old)."""
    statements = []
    for table in SOURCES:
        name = f"{table}_figures"
        added, taken = _contributions("sqlite", table, "new", 1), _contributions("sqlite", table, "old", -1)
        statements += [
            f"CREATE TRIGGER {name}_ai AFTER INSERT ON {table} BEGIN {_upsert([added])}; END",
            f"CREATE TRIGGER {name}_ad AFTER DELETE ON {table} BEGIN {_upsert([taken])}; END",
            f"CREATE TRIGGER {name}_au AFTER UPDATE ON {table} WHEN {_changed(table, 'old', 'new')} "
            f"BEGIN {_upsert([taken, added])}; END",
        ]
    return statements


def sqlite_drop_triggers() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_figures_{when}" for table in SOURCES for when in ("ai", "ad", "au")]


def postgres_triggers() -> list[str]:
    """Statement triggers over the statement's transition tables: a bulk load or a cascade adds up its
    rows once, a service's one-row write as a row trigger would. The rollup's pages keep room for
    the next versions of their rows, so that an update (only counts change) leaves the indexes be."""
    statements = [f"ALTER TABLE {TABLE} SET (fillfactor = 70)"]
    for table in SOURCES:
        name = f"{table}_figures"
        added = _contributions("postgresql", table, "r", 1, "new_rows")
        taken = _contributions("postgresql", table, "r", -1, "old_rows")
        statements += [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'INSERT' THEN {_upsert([added])}; "
            f"ELSIF TG_OP = 'DELETE' THEN {_upsert([taken])}; "
            f"ELSE {_upsert([taken, added])}; "
            f"END IF; RETURN NULL; END $$",
            f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
            f"CREATE TRIGGER {name}_update AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows "
            f"NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
            f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
    return statements


def postgres_drop_triggers() -> list[str]:
    statements = []
    for table in SOURCES:
        # (insert_delete: a row trigger of this migration's first draft, which a few databases ran.)
        whens = ("insert", "update", "delete", "insert_delete")
        statements += [f"DROP TRIGGER IF EXISTS {table}_figures_{when} ON {table}" for when in whens]
        statements.append(f"DROP FUNCTION IF EXISTS {table}_figures()")
    return statements


def fill_statements(vendor: str) -> list[str]:
    """The rollup from the rows already there: on PostgreSQL one statement per table, as its triggers
    add up a bulk load; on SQLite (no LATERAL) per table and single value or pair, one grouped INSERT."""
    if vendor == "postgresql":
        return [_upsert([_contributions(vendor, table, "r", 1, table)]) for table in SOURCES]
    statements = []
    key = ", ".join(KEY)
    added = ", ".join(f"{name} = {TABLE}.{name} + excluded.{name}" for name in COUNTS)
    for table, source in SOURCES.items():
        counts, time = source["counts"], source["time"]
        figures = ", ".join(f"SUM({counts[name].format(r='r')})" if name in counts else "0" for name in COUNTS)
        for dimension, value, other, other_value in _keys(vendor, "r"):
            statements.append(
                f"INSERT INTO {TABLE} ({key}, {', '.join(COUNTS)}) "  # noqa: S608 (this module's constants)
                f"SELECT {dimension}, {value}, {other}, {_month(vendor, f'r.{time}')}, {other_value}, {figures} "
                f"FROM {table} r WHERE {source['counts_when'].format(r='r')} GROUP BY 2, 4, 5 "
                f"ON CONFLICT ({key}) DO UPDATE SET {added}"
            )
    return statements


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    dropped = {"sqlite": sqlite_drop_triggers, "postgresql": postgres_drop_triggers}[vendor]()
    triggers = {"sqlite": sqlite_triggers, "postgresql": postgres_triggers}[vendor]()
    for statement in [*dropped, *triggers, *fill_statements(vendor)]:  # any of the same names first
        schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": sqlite_drop_triggers, "postgresql": postgres_drop_triggers}[vendor]():
        schema_editor.execute(statement, params=None)


def recreate_sqlite_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    """For later migrations that rebuild surveys_answer or surveys_invitation on SQLite (which drops
    their triggers): the rollup's triggers again. The rollup itself stays right: a rebuild copies rows
    without firing them."""
    if schema_editor.connection.vendor == "sqlite":
        for statement in [*sqlite_drop_triggers(), *sqlite_triggers()]:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0002_recipient")]

    operations = [
        migrations.CreateModel(
            name="MonthFigures",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField()),
                ("dimension", models.CharField(max_length=20)),
                ("value", models.CharField(blank=True, max_length=100)),
                ("other_dimension", models.CharField(blank=True, max_length=20)),
                ("other_value", models.CharField(blank=True, max_length=100)),
                ("csat_answers", models.IntegerField(default=0)),
                ("csat_satisfied", models.IntegerField(default=0)),
                ("nps_answers", models.IntegerField(default=0)),
                ("promoters", models.IntegerField(default=0)),
                ("detractors", models.IntegerField(default=0)),
                ("ces_answers", models.IntegerField(default=0)),
                ("ces_total", models.BigIntegerField(default=0)),
                ("sent", models.IntegerField(default=0)),
                ("answered", models.IntegerField(default=0)),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["dimension", "other_dimension", "other_value", "month", "value"],
                        name="monthfigures_by_other",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("dimension", "value", "other_dimension", "month", "other_value"),
                        name="monthfigures_one_per_values",
                    )
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
