import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Wordings are asserted in English; a German request elsewhere leaves its language active
    in the thread, so every test here starts and ends in English."""
    translation.activate("en")
    yield
    translation.activate("en")
