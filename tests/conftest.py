import pytest
from django.db import connection


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: longer-running test")


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://...): SQLite has no row locks")


@pytest.fixture(autouse=True)
def _celery_join_flag():
    """Eager tasks run in several threads at once (the concurrency tests) leave Celery's
    process-wide "inside a task" flag set (``denied_join_result`` saves and restores a global,
    not a thread-local), which would make a later test's ``result.get()`` refuse to block.
    Reset it after every test."""
    yield
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
