"""Benchmark settings: the production settings plus one bare page to compare against.

Used only by the scripts in ``tests/benchmarks/`` (and the gunicorn server the rush benchmark
starts): ``DJANGO_SETTINGS_MODULE=tests.benchmarks.settings_bench``. Everything else -- middleware,
context processors, template loaders, sessions, the database -- is exactly ``mampf.settings``,
so a page's CPU time divided by the bare page's, measured in the same run, says how much the page
itself costs. The bare page never exists in production URLs.
"""

from pathlib import Path

from mampf.settings import *  # noqa: F403
from mampf.settings import TEMPLATES as _TEMPLATES

ROOT_URLCONF = "tests.benchmarks.bench_urls"
BENCH_TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATES = [
    {**_TEMPLATES[0], "DIRS": [*_TEMPLATES[0]["DIRS"], BENCH_TEMPLATES]},
    *_TEMPLATES[1:],
]
