"""Every verify test ends with no table of its own left on the moto backend (moto's state is per
process, so this also sees tables made through the embedded server)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_leftover_tables(dynamodb_client):
    before = set(dynamodb_client.list_tables()['TableNames'])  # other suites' leftovers
    yield
    left = set(dynamodb_client.list_tables()['TableNames']) - before
    assert not left, f'verify left tables behind: {sorted(left)}'
