"""Statements on hot paths, compiled by the ORM ahead of the moment they run (decision 0016).

`Prepared`: reads whose SQL the ORM builds once per thread, then runs again with new values.

Building a query with the ORM (`filter()`, `select_related()`, the SQL compiler) costs 0.1–0.5 ms
of Python, often more than the database takes to answer it. Creating a ticket through the API
ran seven such reads (the API token, the requester, the team, the tags, the event handlers'
checks), each the same statement with other values. A `Prepared` read builds its queryset once
per thread from placeholder values, keeps the compiled SQL, and on each call runs that SQL with
the real values; rows become model instances exactly as the queryset makes them (the same
converters, the same `select_related` objects).

Only for querysets whose SQL does not depend on the values: a value must reach the SQL as one
parameter, unchanged (a string or an integer compared with `=`; an `__in` list has one
parameter per item, so each length is its own `Prepared`). Building checks that every placeholder
is found. Instances get their annotations as attributes, as from the queryset.

`Inserts`: new rows whose INSERTs are compiled before a transaction and only run in it. On SQLite
a write transaction holds the database's one write lock, and `Model.save()` builds its INSERT
(each field's value, the compiler) inside it: 0.1–0.3 ms of Python a row, while every other
writer waits. On PostgreSQL the rows go as one statement, one round trip (decision 0017).

On PostgreSQL, psycopg prepares both kinds of statement the first time a connection runs them,
so the server parses and plans each once per connection; no other statement is prepared (a
generic plan would not suit a search or a report: decision 0016).
"""

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Field, ForeignKey, Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators
from django.db.models.sql import InsertQuery
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=Model)


@contextmanager
def _cursor(connection: Any) -> Iterator[Any]:
    """Django's cursor; on PostgreSQL, psycopg prepares each statement run in it (once per connection)."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            yield cursor
            return
        psycopg_connection = connection.connection
        threshold = psycopg_connection.prepare_threshold
        psycopg_connection.prepare_threshold = 0
        try:
            yield cursor
        finally:
            psycopg_connection.prepare_threshold = threshold


@dataclass(frozen=True)
class _Compiled:
    connection: Any
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]  # (position in params, position in the call's values)
    compiler: SQLCompiler
    converters: dict[int, Any]  # the columns' converters (SQLCompiler.get_converters)
    models: "_Models | None"  # how rows become instances; None for values()/values_list()


@dataclass(frozen=True)
class _Models:
    """What ModelIterable works out before its first row, worked out once."""

    model: type[Model]
    init_list: list[str]
    start: int
    end: int
    populators: list[Any]
    annotations: dict[str, int]  # attribute → its column

    def make(self, db: str, row: Any) -> Model:
        instance = self.model.from_db(db, self.init_list, row[self.start : self.end])
        for populator in self.populators:
            populator.populate(row, instance)  # the select_related objects
        for name, column in self.annotations.items():
            setattr(instance, name, row[column])
        return instance


class Prepared(Generic[M]):
    """`build(*placeholders)` is the queryset; `prepared.all(*values)` runs it with `values` instead."""

    def __init__(self, build: Callable[..., "QuerySet[M, Any]"], *placeholders: str | int) -> None:
        self._build = build
        self._placeholders = placeholders
        self._local = threading.local()

    def all(self, *values: object) -> list[Any]:
        """The rows: model instances, or the tuples values_list() would give."""
        connection = connections[DEFAULT_DB_ALIAS]
        compiled: _Compiled | None = getattr(self._local, "compiled", None)
        if compiled is None or compiled.connection is not connection:
            compiled = self._local.compiled = self._compile()
        if len(values) != len(self._placeholders):
            raise TypeError(f"{len(self._placeholders)} values expected, {len(values)} given")
        params = list(compiled.params)
        for position, index in compiled.slots:
            params[position] = values[index]
        with _cursor(connection) as cursor:
            cursor.execute(compiled.sql, params)
            rows: Iterable[Any] = cursor.fetchall()
        if compiled.converters:
            rows = compiled.compiler.apply_converters(rows, compiled.converters)
        if compiled.models is not None:
            return [compiled.models.make(connection.alias, row) for row in rows]
        return [tuple(row) for row in rows]

    def first(self, *values: object) -> Any | None:
        rows = self.all(*values)
        return rows[0] if rows else None

    def _compile(self) -> _Compiled:
        queryset = self._build(*self._placeholders)
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        slots = []
        for index, placeholder in enumerate(self._placeholders):
            found = [
                position
                for position, param in enumerate(params)
                if type(param) is type(placeholder) and param == placeholder
            ]
            if len(found) != 1:
                raise ValueError(f"placeholder {placeholder!r} is not one parameter of {sql}")
            slots.append((found[0], index))
        converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
        models = None
        if queryset._iterable_class is ModelIterable:
            klass_info, select = compiler.klass_info, compiler.select
            assert klass_info is not None
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            init_list = [column[0].target.attname for column in select[start:end]]
            populators = get_related_populators(klass_info, select, queryset.db)  # type: ignore[call-arg]  # stubs of a later Django
            models = _Models(klass_info["model"], init_list, start, end, populators, compiler.annotation_col_map)
        return _Compiled(compiler.connection, sql, tuple(params), tuple(slots), compiler, converters, models)


@dataclass(frozen=True)
class _InsertSQL:
    sql: str
    fields: list[Field[Any, Any]]  # one parameter each, in this order


_insert_sql: dict[tuple[type[Model], str], _InsertSQL] = {}


def _insert_statement(model: type[Model], connection: Any) -> _InsertSQL:
    """The model's INSERT (every field but the automatic key, which the database gives), built once per
    model and database vendor."""
    statement = _insert_sql.get((model, connection.vendor))
    if statement is None:
        meta = model._meta
        if meta.db_returning_fields != [meta.pk]:
            raise ValueError(f"{meta.label}: only the automatic primary key can be read back")
        fields = [f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field]
        if any(hasattr(field, "get_placeholder") for field in fields):
            raise ValueError(f"{meta.label}: a field needs its own placeholder")
        query = InsertQuery(model)
        query.insert_values(fields, [model()])
        compiler = query.get_compiler(connection=connection)
        # PostgreSQL reads the id back with RETURNING (chained: Inserts.write); SQLite gives the
        # row's id without it (`lastrowid`), one step of the statement fewer while writers wait.
        compiler.returning_fields = [meta.pk] if connection.vendor == "postgresql" else None
        [(sql, _)] = compiler.as_sql()
        statement = _insert_sql[(model, connection.vendor)] = _InsertSQL(sql, fields)
    return statement


@dataclass(frozen=True)
class _Insert:
    instance: Model
    statement: _InsertSQL
    params: list[Any]
    parents: list[tuple[int, Field[Any, Any], Model]]  # (position in params, the key, the row it names)


class Inserts:
    """`add()` each new row (its parameters are worked out at once), then `write()` them all
    inside the transaction.

    A row whose foreign key holds an unsaved instance added before it (`message.ticket = ticket`)
    gets that row's id when written, as `save()` would give it. Values must be plain values, not
    expressions. No signals are sent (Frontdesk has none for models); `save()` and
    `Model.objects.create()` stay the way for everything else.
    """

    def __init__(self) -> None:
        self._rows: list[_Insert] = []

    def add(self, instance: Model) -> None:
        connection = connections[DEFAULT_DB_ALIAS]
        statement = _insert_statement(type(instance), connection)
        params, parents = [], []
        for position, field in enumerate(statement.fields):
            parent = field.get_cached_value(instance, None) if isinstance(field, ForeignKey) else None
            if parent is not None and parent.pk is None:
                if not any(row.instance is parent for row in self._rows):
                    raise ValueError(f"{instance._meta.label}.{field.name} names a row that is not added before it")
                parents.append((position, field, parent))
            value = field.pre_save(instance, add=True)
            if hasattr(value, "resolve_expression"):
                raise ValueError(f"{instance._meta.label}.{field.name}: expressions are not supported")
            params.append(field.get_db_prep_save(value, connection=connection))
        self._rows.append(_Insert(instance, statement, params, parents))

    def write(self) -> None:
        """The INSERTs, in the order added; each instance gets its id.

        Atomic by itself: on PostgreSQL the rows go as one statement (a WITH of INSERTs, each
        naming the ids of the rows before it: one round trip, and no transaction needed around
        it), elsewhere in a transaction (the caller's when one is open)."""
        connection = connections[DEFAULT_DB_ALIAS]
        rows, self._rows = self._rows, []
        if not rows:
            return
        if connection.vendor == "postgresql":
            self._write_chained(connection, rows)
            return
        with transaction.atomic(savepoint=False), _cursor(connection) as cursor:
            for row in rows:
                for position, field, parent in row.parents:
                    row.params[position] = parent.pk
                    setattr(row.instance, field.name, parent)  # the id, and the parent kept cached
                cursor.execute(row.statement.sql, row.params)
                _saved(row.instance, cursor.lastrowid, connection)

    @staticmethod
    def _write_chained(connection: Any, rows: list[_Insert]) -> None:
        order = {id(row.instance): index for index, row in enumerate(rows)}
        # NULLs are written into the statement rather than sent: a new ticket has many, and with
        # them it took more parameters than psycopg keeps the parsed form of a statement for (50).
        shape = tuple(
            (
                row.statement.sql,
                tuple((position, order[id(parent)]) for position, _, parent in row.parents),
                tuple(position for position, param in enumerate(row.params) if param is None),
            )
            for row in rows
        )
        sql = _chained_sql.get(shape)
        if sql is None:
            sql = _chained_sql[shape] = _chain(shape, [str(row.instance._meta.pk.column) for row in rows])
        parented = {(index, position) for index, row in enumerate(rows) for position, _, _ in row.parents}
        params = [
            param
            for index, row in enumerate(rows)
            for position, param in enumerate(row.params)
            if param is not None and (index, position) not in parented
        ]
        with _cursor(connection) as cursor:
            cursor.execute(sql, params)
            ids = cursor.fetchone()
        for row, pk in zip(rows, ids, strict=True):
            for _, field, parent in row.parents:
                setattr(row.instance, field.name, parent)  # the id, and the parent kept cached
            _saved(row.instance, pk, connection)


def _saved(instance: Model, pk: Any, connection: Any) -> None:
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = connection.alias


# PostgreSQL: the chained INSERT of each sequence of rows (per row: its INSERT, which of its
# parameters is the id of which row before it, which are NULL), built once.
_Shape = tuple[tuple[str, tuple[tuple[int, int], ...], tuple[int, ...]], ...]
_chained_sql: dict[_Shape, str] = {}


def _chain(shape: _Shape, keys: list[str]) -> str:
    """`WITH r0 AS (INSERT … RETURNING id), r1 AS (INSERT … VALUES ((SELECT id FROM r0), %s, …)
    RETURNING id) … SELECT r0.id, r1.id …`: a data-modifying WITH runs every INSERT, and a row
    reads the id of a row before it from that row's RETURNING."""
    parts = []
    for index, (sql, parents, nulls) in enumerate(shape):
        head, rest = sql.split(" VALUES (", 1)
        values, returning = rest.rsplit(") RETURNING ", 1)
        placeholders = values.split(", ")
        if any(placeholder != "%s" for placeholder in placeholders):
            raise ValueError(f"not an INSERT of plain parameters: {sql}")
        for position in nulls:
            placeholders[position] = "NULL"
        for position, parent in parents:
            placeholders[position] = f'(SELECT "{keys[parent]}" FROM r{parent})'  # noqa: S608  (column names from the models)
        parts.append(f"r{index} AS ({head} VALUES ({', '.join(placeholders)}) RETURNING {returning})")
    columns = ", ".join(f'r{index}."{key}"' for index, key in enumerate(keys))
    tables = ", ".join(f"r{index}" for index in range(len(shape)))
    return f"WITH {', '.join(parts)} SELECT {columns} FROM {tables}"  # noqa: S608  (the ORM's INSERTs, bound parameters)
