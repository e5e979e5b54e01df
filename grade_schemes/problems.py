"""The refusal of a pure grade-scheme module: a stable code and its parameters (Django-free).

``generator``, ``bands``, ``statistics`` and ``mc`` raise ``Problem`` (a ``ValueError``);
``grade_schemes.errors`` turns codes and parameters into translated messages, so these modules
stay free of Django. ``index`` names the band a problem belongs to (``None``: the whole scheme).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class BandProblem:
    code: str
    index: int | None = None
    params: dict = field(default_factory=dict)


class Problem(ValueError):
    def __init__(self, code: str, problems: list[BandProblem] | None = None, **params):
        self.code = code
        self.params = params
        self.problems = problems or [BandProblem(code, None, params)]
        super().__init__(code)
