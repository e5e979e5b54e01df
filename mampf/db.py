"""Database plumbing every app's services share: row locks and clean "busy" errors.

Rules:
- Lock, then count, then write, in one short transaction. ``lock_rows`` takes the locks in
  ascending primary-key order, so two services locking overlapping sets never deadlock.
- Every lock goes through ``lock_rows`` (or ``locks_enabled()``), so one test switch,
  ``settings.MAMPF_ROW_LOCKS = False``, turns all of them off. Concurrency tests run once with
  the locks and once without (the control) to prove they can see a lost update or an oversell.
- A lock timeout (``lock_timeout`` in the connection options) or a lost race the database
  reports as ``OperationalError`` becomes ``mampf.errors.Busy``: a translated "try again", never
  a 500. Services wear ``@translate_db_errors`` (or ``@translate_db_errors(TheirBusy)``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import OperationalError, connections
from django.db.models import BooleanField, Expression, Model, QuerySet
from django.db.models import F as FieldRef

from mampf.errors import Busy

F = TypeVar("F", bound=Callable)


def locks_enabled() -> bool:
    """False only in the lock-off controls of the concurrency tests."""
    return bool(getattr(settings, "MAMPF_ROW_LOCKS", True))


def lock_rows(
    rows: type[Model] | QuerySet,
    pks: Iterable[int | None],
    *,
    shared: bool = False,
    nowait: bool = False,
    no_key: bool = False,
) -> list:
    """Lock the rows with these primary keys in ascending order and return them, fresh.

    ``rows`` is a model or a queryset (``Registerable.objects.non_polymorphic()``, say).
    ``shared`` takes ``FOR SHARE`` (many readers, no writer), ``no_key`` ``FOR NO KEY UPDATE``
    (does not block inserts that reference the row). SQLite has no row locks; there the
    database-wide write lock of IMMEDIATE transactions serializes writers instead, and this is
    a plain ordered read. Rows that no longer exist are simply missing from the result.
    """
    queryset = rows._default_manager.all() if isinstance(rows, type) else rows
    ids = sorted({pk for pk in pks if pk is not None})
    if not ids:
        return []
    queryset = queryset.filter(among("pk", ids)).order_by("pk")
    if not locks_enabled():
        return list(queryset)
    if shared:
        return _share_locked(queryset, nowait=nowait)
    return list(queryset.select_for_update(nowait=nowait, no_key=no_key))


def _share_locked(queryset: QuerySet, *, nowait: bool) -> list:
    """``SELECT ... FOR SHARE`` (PostgreSQL); Django's ORM only offers ``FOR UPDATE`` forms."""
    if connections[queryset.db].vendor != "postgresql":
        return list(queryset)
    sql, params = queryset.query.sql_with_params()
    suffix = " FOR SHARE NOWAIT" if nowait else " FOR SHARE"
    return list(queryset.model._default_manager.raw(sql + suffix, params))


class among(Expression):  # noqa: N801 - used like a lookup: .filter(among("user_id", ids))
    """Filter condition ``field IN values`` for long lists of ids or short texts.

    PostgreSQL: ``field = ANY(%s)`` with the values as ONE array parameter; a 1,500-element
    ``__in`` costs milliseconds in Django's lookup preparation, in psycopg's placeholder
    splitting and in the server's parser. Other databases: a plain ``IN (...)`` list. An empty
    list matches nothing (like ``__in=[]``). Values are ints or strings, as the field stores
    them.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, field: str, values: Iterable):
        super().__init__()
        self.lhs = FieldRef(field) if isinstance(field, str) else field
        self.values = list(values)

    def __repr__(self):
        return f"among({self.lhs!r}, {len(self.values)} values)"

    def get_source_expressions(self):
        return [self.lhs]

    def set_source_expressions(self, exprs):
        (self.lhs,) = exprs

    def as_sql(self, compiler, connection):
        if not self.values:
            raise EmptyResultSet
        lhs, params = compiler.compile(self.lhs)
        marks = ", ".join(["%s"] * len(self.values))
        return f"{lhs} IN ({marks})", [*params, *self.values]

    def as_postgresql(self, compiler, connection):
        lhs, params = compiler.compile(self.lhs)
        db_type = self.lhs.output_field.db_type(connection)
        array = "bigint[]" if db_type in ("bigint", "integer", "smallint") else "text[]"
        return f"{lhs} = ANY(%s::{array})", [*params, array_literal(self.values)]


def array_literal(values: Iterable) -> str:
    """A PostgreSQL array literal (``{1,2.50,NULL,"a b"}``) of ints, decimals, texts and
    ``None``, to pass as ONE text parameter with a cast (``%s::bigint[]``).

    psycopg dumps a Python list element by element (a regex check per element: about 1 ms
    for 1,500 ids); this is one ``join``. Texts are double-quoted with ``"`` and ``\\``
    escaped, so any text is safe."""
    values = list(values)
    if all(type(v) is int for v in values):
        return "{" + ",".join(map(str, values)) + "}"
    parts = []
    for value in values:
        if value is None:
            parts.append("NULL")
        elif isinstance(value, str):
            parts.append('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"')
        elif isinstance(value, int | Decimal):
            parts.append(str(value))
        else:
            raise TypeError(f"array_literal: unsupported value {value!r}")
    return "{" + ",".join(parts) + "}"


def actor_or_none(by) -> Model | None:
    """The acting user for an audit row, or None for the system (anonymous, a job, a script)."""
    return by if getattr(by, "pk", None) else None


def translate_db_errors(func: F | None = None, *, error: type[Busy] = Busy):
    """Decorator: ``OperationalError`` (lock timeout, serialization failure) -> ``error``.

    Use bare (``@translate_db_errors``) or with an app's own subclass of ``Busy``
    (``@translate_db_errors(error=TryAgain)``).
    """

    def decorate(inner: F) -> F:
        @functools.wraps(inner)
        def wrapper(*args, **kwargs):
            try:
                return inner(*args, **kwargs)
            except OperationalError as exc:
                raise error() from exc

        return wrapper  # type: ignore[return-value]

    if func is not None:
        return decorate(func)
    return decorate
