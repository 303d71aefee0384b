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
is found. Annotations are not supported (values(), values_list() and plain models are).

`Inserts`: new rows whose INSERTs are compiled before a transaction and only run in it. On SQLite
a write transaction holds the database's one write lock, and `Model.save()` builds its INSERT
(each field's value, the compiler) inside it: 0.1–0.3 ms of Python a row, while every other
writer waits.
"""

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import ForeignKey, Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators
from django.db.models.sql import InsertQuery
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class _Compiled:
    compiler: SQLCompiler
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]  # (position in params, position in the call's values)
    makes_models: bool


class Prepared(Generic[M]):
    """`build(*placeholders)` is the queryset; `prepared.all(*values)` runs it with `values` instead."""

    def __init__(self, build: Callable[..., "QuerySet[M, Any]"], *placeholders: str | int) -> None:
        self._build = build
        self._placeholders = placeholders
        self._local = threading.local()

    def all(self, *values: object) -> list[Any]:
        """The rows: model instances, or what values()/values_list() would give."""
        connection = connections[DEFAULT_DB_ALIAS]
        compiled: _Compiled | None = getattr(self._local, "compiled", None)
        if compiled is None or compiled.compiler.connection is not connection:
            compiled = self._local.compiled = self._compile()
        if len(values) != len(self._placeholders):
            raise TypeError(f"{len(self._placeholders)} values expected, {len(values)} given")
        params = list(compiled.params)
        for position, index in compiled.slots:
            params[position] = values[index]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.makes_models:
            return list(_models(compiled.compiler, rows))
        return [tuple(row) for row in compiled.compiler.results_iter([rows])]

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
        if queryset.query.annotation_select:
            raise ValueError("annotations are not supported")
        return _Compiled(compiler, sql, tuple(params), tuple(slots), queryset._iterable_class is ModelIterable)


def _models(compiler: SQLCompiler, rows: list[Any]) -> Iterator[Model]:
    """Instances as ModelIterable makes them from these rows (with their select_related objects)."""
    db = compiler.using
    klass_info, select = compiler.klass_info, compiler.select
    assert klass_info is not None
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    populators = get_related_populators(klass_info, select, db)
    for row in compiler.results_iter([rows]):
        instance = klass_info["model"].from_db(db, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, instance)
        yield instance


@dataclass(frozen=True)
class _Insert:
    instance: Model
    sql: str
    params: tuple[Any, ...]
    returning_params: Any
    parents: tuple[tuple[int, ForeignKey, Model], ...]  # (position in params, the key, the row it names)


class Inserts:
    """`add()` each new row (compiled at once), then `write()` them all inside the transaction.

    A row whose foreign key holds an unsaved instance added before it (`message.ticket = ticket`)
    gets that row's id when written, as `save()` would give it. No signals are sent (Frontdesk
    has none for models); `save()` and `Model.objects.create()` stay the way for everything else.
    """

    def __init__(self) -> None:
        self._rows: list[_Insert] = []

    def add(self, instance: Model) -> None:
        meta = instance._meta
        if meta.db_returning_fields != [meta.pk]:
            raise ValueError(f"{meta.label}: only the automatic primary key can be read back")
        parents = []
        for field in meta.concrete_fields:
            parent = field.get_cached_value(instance, None) if field.is_relation else None
            if parent is not None and parent.pk is None:
                if not any(row.instance is parent for row in self._rows):
                    raise ValueError(f"{meta.label}.{field.name} names a row that is not added before it")
                parents.append((field, parent))
        fields = [f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field]
        # A unique marker in each parent's key, found again among the compiled parameters.
        markers = {field.attname: -(10**15) - n for n, (field, _) in enumerate(parents)}
        instance.__dict__.update(markers)  # past the descriptor, which would drop the cached parent
        try:
            query = InsertQuery(type(instance))
            query.insert_values(fields, [instance])
            compiler = query.get_compiler(using=DEFAULT_DB_ALIAS)
            compiler.returning_fields = [meta.pk]
            [(sql, params)] = compiler.as_sql()
        finally:
            for attname in markers:
                instance.__dict__[attname] = None
        slots = tuple((list(params).index(markers[field.attname]), field, parent) for field, parent in parents)
        self._rows.append(_Insert(instance, sql, tuple(params), compiler.returning_params, slots))

    def write(self) -> None:
        """The INSERTs, in the order added; each instance gets its id. Call it inside a transaction."""
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            for row in self._rows:
                params = list(row.params)
                for position, field, parent in row.parents:
                    params[position] = parent.pk
                    setattr(row.instance, field.name, parent)  # the id, and the parent kept cached
                cursor.execute(row.sql, params)
                (row.instance.pk,) = connection.ops.fetch_returned_insert_columns(cursor, row.returning_params)
                row.instance._state.adding = False
                row.instance._state.db = DEFAULT_DB_ALIAS
        self._rows.clear()
