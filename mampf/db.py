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
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

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
    ids = sorted({pk for pk in pks if pk is not None})
    if not ids:
        return []
    if isinstance(rows, type) and len(ids) == 1:
        return _lock_one(rows, ids[0], shared=shared, nowait=nowait, no_key=no_key)
    queryset = rows._default_manager.all() if isinstance(rows, type) else rows
    queryset = queryset.filter(among("pk", ids)).order_by("pk")
    if not locks_enabled():
        return list(queryset)
    if shared:
        return _share_locked(queryset, nowait=nowait)
    return list(queryset.select_for_update(nowait=nowait, no_key=no_key))


def _lock_one_sql(model, *, shared: bool, nowait: bool, no_key: bool, enabled: bool, pk):
    """``SELECT <every column> FROM <model's table> WHERE pk = %s`` plus the lock clause (none
    with the locks switched off; none on SQLite, which has no row locks): a ``values_list``
    queryset, or one with the ``FOR SHARE`` suffix."""
    queryset = model._base_manager.filter(pk=pk).order_by()
    if hasattr(queryset, "non_polymorphic"):
        queryset = queryset.non_polymorphic()
    if enabled and not shared:
        queryset = queryset.select_for_update(nowait=nowait, no_key=no_key)
    columns = [field.attname for field in model._meta.concrete_fields]
    queryset = queryset.values_list(*columns)
    if enabled and shared and connections[queryset.db].vendor == "postgresql":
        # Django's ORM has no FOR SHARE: appended to the compiled statement (as in
        # ``_share_locked``); the columns are still converted as the ORM would.
        return queryset, " FOR SHARE NOWAIT" if nowait else " FOR SHARE"
    return queryset


_LOCK_ONE: dict[tuple, PreparedQuery] = {}


def _lock_one(model, pk: int, *, shared: bool, nowait: bool, no_key: bool) -> list:
    """``lock_rows`` of one row of a model: the same statement, its SQL built once per process
    (``PreparedQuery``), so the hot path pays for the round trip only."""
    options = {"shared": shared, "nowait": nowait, "no_key": no_key, "enabled": locks_enabled()}
    key = (model, *options.values())
    prepared = _LOCK_ONE.get(key)
    if prepared is None:
        prepared = _LOCK_ONE[key] = PreparedQuery(
            functools.partial(_lock_one_sql, model, **options)
        )
    columns = [field.attname for field in model._meta.concrete_fields]
    return [model.from_db("default", columns, row) for row in prepared.fetchall(pk=pk)]


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


# -- SQL built once per process -------------------------------------------------------------------

# Stand-ins for the values of a prepared query while the ORM compiles it: database ids are never
# negative, so a parameter equal to one of them can only be the stand-in.
_STAND_IN = -7_316_400_000_000


class PreparedQuery:
    """A read whose SQL the ORM builds once per process, then runs with fresh values.

    Building a query with the ORM (resolving lookups and joins, compiling) costs a few hundred
    microseconds of CPU, more than running it on a hot path. ``build(**names)`` returns a
    queryset (usually ``values_list``: its rows come back as tuples, through the same field
    converters as the ORM's) or ``(sql, params)`` of a statement assembled from querysets' SQL
    (its columns then need no conversion: ids, counts, text), or ``(sql, params, queryset)``
    when the statement's leading columns are that queryset's (converted as the ORM would). It
    is called once per database vendor and ``key`` with negative stand-ins for the names; each
    later call swaps in the real values::

        CHECK = PreparedQuery(lambda user_id: Thing.objects.filter(user_id=user_id)
                              .values_list("id", "title"))
        rows = CHECK.fetchall(user_id=request.user.pk)

    Only the *text* of the SQL is kept (it depends on the code, never on data): every call runs
    the query afresh, so nothing a decision reads is cached. Values must be integer ids (``IN``
    lists have a fixed length: put the length in ``key``); constants the ORM puts in (a status
    string) stay as they were compiled, so ``build`` must not read the clock or the database.
    ``key`` names anything else the SQL depends on (registered seat sources, a lock switch).
    """

    def __init__(self, build):
        self._build = build
        self._compiled: dict[tuple, tuple[str, tuple, list]] = {}

    def _compile(self, using: str, key, names: tuple) -> tuple[str, tuple, list]:
        stand_ins = {name: _STAND_IN - index for index, name in enumerate(names)}
        built = self._build(**stand_ins)
        converters, suffix = [], ""
        if isinstance(built, tuple) and isinstance(built[0], QuerySet):
            built, suffix = built  # a clause the ORM cannot write (FOR SHARE)
        if isinstance(built, QuerySet):
            compiler = built.query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            sql += suffix
            columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
            converters = sorted(compiler.get_converters(columns).items())
        elif len(built) == 3:
            # (sql, params, queryset): the statement's leading columns are the queryset's
            # (``SELECT q.*, ... FROM (<its SQL>) q ...``) and are converted as the ORM would.
            sql, params, leading = built
            compiler = leading.query.get_compiler(using=using)
            compiler.setup_query()
            columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
            converters = sorted(compiler.get_converters(columns).items())
        else:
            sql, params = built
        by_value = {value: name for name, value in stand_ins.items()}
        slots = tuple(
            (True, by_value[param]) if type(param) is int and param in by_value
            else (False, param)
            for param in params
        )
        missing = set(names) - {value for is_name, value in slots if is_name}
        if missing or str(-_STAND_IN)[:10] in sql:  # none may be inlined into the text
            raise ValueError(f"PreparedQuery: {sorted(missing)} not passed as parameters")
        return sql, slots, converters

    def sql(self, *, key=(), using: str = "default", **values) -> tuple[str, list]:
        """The statement and its parameters for these values (to compose into another)."""
        return self._prepared(key, using, values, connections[using].vendor)[:2]

    def _prepared(self, key, using: str, values: dict, vendor: str) -> tuple[str, list, list]:
        names = tuple(sorted(values))
        cache_key = (vendor, key, names)
        compiled = self._compiled.get(cache_key)
        if compiled is None:
            compiled = self._compiled[cache_key] = self._compile(using, key, names)
        sql, slots, converters = compiled
        return sql, [values[value] if is_name else value for is_name, value in slots], converters

    def bind(self, *, key=(), using: str = "default", **values) -> BoundRead:
        """This read with its values, to run alone (``fetch()``) or in one round trip with
        other reads (``fetch_together``)."""
        sql, params, converters = self._prepared(key, using, values, connections[using].vendor)
        return BoundRead(sql, params, converters, using)

    def fetchall(self, *, key=(), using: str = "default", **values) -> list:
        return self.bind(key=key, using=using, **values).fetch()


class BoundRead:
    """A prepared read with its values. ``rows`` holds its rows once it ran (``None`` before):
    a caller who handed it to another function's ``fetch_together`` reads them there."""

    __slots__ = ("sql", "params", "converters", "using", "rows")

    def __init__(self, sql: str, params: list, converters: list, using: str):
        self.sql, self.params, self.converters, self.using = sql, params, converters, using
        self.rows: list | None = None

    def fetch(self) -> list:
        """Run this read alone."""
        connection = connections[self.using]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params)
            self.rows = _converted(cursor.fetchall(), self.converters, connection)
        return self.rows


def fetch_together(*reads: BoundRead) -> list[list]:
    """The rows of each read, in order, from one round trip to the database.

    A round trip costs the web process about as much CPU as a small read's whole work (sending,
    waiting, parsing the reply); a page that knows its reads up front sends them as one batch of
    statements. PostgreSQL with client-side binding (Django's default) runs them in the order
    given and returns one result each; elsewhere (SQLite for ``make run``) they run one after
    the other. Each read keeps its rows in ``rows``."""
    reads = [read for read in reads if read is not None]
    if not reads:
        return []
    using = reads[0].using
    connection = connections[using]
    if len(reads) == 1 or not batches_statements(using) or any(
        read.using != using for read in reads
    ):
        return [read.fetch() for read in reads]
    with connection.cursor() as cursor:
        cursor.execute(";\n".join(read.sql for read in reads),
                       [param for read in reads for param in read.params])
        for index, read in enumerate(reads):
            if index and not cursor.nextset():
                raise RuntimeError("fetch_together: the database returned fewer results")
            read.rows = _converted(cursor.fetchall(), read.converters, connection)
    return [read.rows for read in reads]


def batches_statements(using: str = "default") -> bool:
    """Whether ``fetch_together`` sends its reads in one round trip: psycopg's client-side
    binding cursor (Django's default for PostgreSQL) sends several statements as one query;
    server-side binding cannot, nor can SQLite. A read worth running only in a shared round
    trip (a notice's prefetch) asks this first."""
    connection = connections[using]
    return (connection.vendor == "postgresql"
            and connection.settings_dict.get("OPTIONS", {}).get("server_side_binding") is not True)


def _converted(rows: list, converters: list, connection) -> list:
    """The rows through the ORM's field converters of their columns (none: as they came)."""
    if not converters:
        return rows
    converted = []
    for row in rows:
        row = list(row)
        for position, (functions, expression) in converters:
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        converted.append(tuple(row))
    return converted


def instance_from_row(model, columns, values, *, using: str = "default"):
    """A model instance from some of its columns, in any order (the others load on first use,
    as with ``only``): for rows a ``PreparedQuery`` read. ``Model.from_db`` itself expects the
    columns in the model's field order.

    For a model with Django's own ``__init__`` and no ``pre_init`` / ``post_init`` receivers,
    the instance is made as ``__init__`` would make it from these columns, without running it
    (its loop over every field and two signal sends cost 8 µs a row, the page itself 1 µs):
    the columns go into the instance's ``__dict__``, where ``__init__`` puts them too, and the
    unread ones stay deferred."""
    if _plain_model(model):
        instance = model.__new__(model)
        state = instance._state = ModelState()
        state.adding, state.db = False, using
        instance.__dict__.update(zip(columns, values, strict=True))
        return instance
    by_name = dict(zip(columns, values, strict=True))
    names = [field.attname for field in model._meta.concrete_fields if field.attname in by_name]
    return model.from_db(using, names, [by_name[name] for name in names])


def _plain_model(model) -> bool:
    if model.__init__ is not Model.__init__ or model.from_db.__func__ is not _MODEL_FROM_DB:
        return False
    # No receiver at all (the usual case) needs no per-sender lookup (2 µs a row).
    if not pre_init.receivers and not post_init.receivers:
        return True
    return not pre_init.has_listeners(model) and not post_init.has_listeners(model)


_MODEL_FROM_DB = Model.from_db.__func__
