"""Every verify test ends with no table left on the moto backend (moto's state is per process,
so this also sees tables made through the embedded server)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_leftover_tables(dynamodb_client):
    assert dynamodb_client.list_tables()['TableNames'] == []
    yield
    assert dynamodb_client.list_tables()['TableNames'] == [], 'verify left tables behind'
