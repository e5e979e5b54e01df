import pytest
from django.db import connection


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: longer-running test")


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://...): SQLite has no row locks")
