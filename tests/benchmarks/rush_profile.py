"""Where one request's time goes, in-process: ORM query building, PostgreSQL round trips,
template rendering, and the rest (middleware, view code, model instances).

Uses the standard library's cProfile, one request at a time, and sums the cumulative time of a
few well-known functions. The parts overlap nothing but the total: query building, round trips
and rendering are disjoint; "other" is what remains.
"""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable


def _code_key(function) -> tuple[str, int, str]:
    code = function.__code__
    return code.co_filename, code.co_firstlineno, code.co_name


def _known_functions() -> dict[str, list[tuple[str, int, str]]]:
    import psycopg
    from django.core.handlers.base import BaseHandler
    from django.db.models.sql import compiler
    from django.template.base import Template

    compilers = [
        compiler.SQLCompiler, compiler.SQLInsertCompiler, compiler.SQLUpdateCompiler,
        compiler.SQLDeleteCompiler, compiler.SQLAggregateCompiler,
    ]
    as_sql = {_code_key(klass.as_sql) for klass in compilers if "as_sql" in vars(klass)}
    return {
        "total": [_code_key(BaseHandler.get_response)],
        "building SQL": sorted(as_sql),
        "PostgreSQL round trips": [_code_key(psycopg.Cursor.execute)],
        "template rendering": [_code_key(Template.render)],
    }


def profile_requests(send_one: Callable[[int], None], repeats: int) -> dict[str, float]:
    """Milliseconds per request by part, over ``repeats`` calls of ``send_one(index)``."""
    profiler = cProfile.Profile()
    profiler.enable()
    for index in range(repeats):
        send_one(index)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    parts = {
        name: sum(stats[key][3] for key in keys if key in stats) * 1000 / repeats
        for name, keys in _known_functions().items()
    }
    parts["other (middleware, view, models)"] = parts["total"] - sum(
        value for name, value in parts.items() if name != "total"
    )
    return {name: round(value, 2) for name, value in parts.items()}
