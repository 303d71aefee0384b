"""Reads on hot paths whose SQL the ORM builds once per thread, then runs again with new values.

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
"""

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators
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
