"""Reads of one row by primary key whose SELECT the ORM compiles once per connection, for the hottest reads.

Compiling a SELECT of a model with its related rows (`select_related`) costs the ORM several times what the
database spends running it: every column named, quoted and given its converters, on every call (docs/benchmarks.md,
intake: the card a repeat submission attaches to, read under its row lock). `ByPk` compiles its QuerySet once per
database connection with a placeholder primary key, then runs that same statement for each read and builds the
instances exactly as iterating the QuerySet does (its converters, `from_db`, its related populators), so a read
returns the objects `queryset.get(pk=pk)` would, or None.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.query import get_related_populators
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=models.Model)

_PLACEHOLDER = 0  # the primary key the statement is compiled with; each read passes its own


@dataclass(frozen=True)
class _Statement:
    sql: str
    compiler: Any
    field_names: list[str]
    start: int
    end: int
    populators: list[Any]


class ByPk(Generic[M]):
    """`ByPk(lambda: Model.objects.select_related(...))`: `.get(pk)` reads one row of that QuerySet (no filters or
    parameters of its own) by primary key. The QuerySet is built on first use, once the models are loaded."""

    def __init__(self, queryset: Callable[[], models.QuerySet[M]]) -> None:
        self._build = queryset
        self._queryset: models.QuerySet[M] | None = None
        # Per thread, as Django keeps its connections: a compiler holds the connection it was made for, and both go
        # when the thread does.
        self._local = threading.local()

    def get(self, pk: Any) -> M | None:
        db = connections[DEFAULT_DB_ALIAS]
        statement: _Statement | None = getattr(self._local, "statement", None)
        if statement is None or statement.compiler.connection is not db:
            statement = self._local.statement = self._compile(db)
        if statement.compiler.query.select_for_update and db.features.has_select_for_update and db.get_autocommit():
            # What the ORM checks when it compiles such a statement: a row lock outside a transaction holds nothing.
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        with db.cursor() as cursor:
            cursor.execute(statement.sql, [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        row = next(statement.compiler.results_iter([[row]]))
        obj = statement.compiler.klass_info["model"].from_db(
            db.alias, statement.field_names, row[statement.start : statement.end]
        )
        for populator in statement.populators:
            populator.populate(row, obj)
        return obj

    def _compile(self, db: Any) -> _Statement:
        if self._queryset is None:
            self._queryset = self._build()
        compiler = self._queryset.filter(pk=_PLACEHOLDER).query.get_compiler(connection=db)
        sql, params = compiler.as_sql()  # also fills compiler.select and klass_info, as a QuerySet's iteration does
        if list(params) != [_PLACEHOLDER]:
            raise ValueError("ByPk takes a QuerySet without parameters of its own")
        info = compiler.klass_info
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        return _Statement(
            sql=sql, compiler=compiler, field_names=[column[0].target.attname for column in compiler.select[start:end]],
            start=start, end=end, populators=get_related_populators(info, compiler.select, db.alias),
        )
