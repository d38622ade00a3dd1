"""Fixtures for the report tests (the helpers are in render_helpers.py)."""

import pytest
from render_helpers import hostile_copy, load_record


@pytest.fixture(scope="session")
def full_record():
    return load_record("full")


@pytest.fixture(scope="session")
def hostile_record(full_record):
    return hostile_copy(full_record)
