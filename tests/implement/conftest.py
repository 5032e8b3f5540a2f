"""Fixture DALs copied to temp dirs; implemented once per session where tests only read them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.implement import implement_dal

FIXTURES = Path(__file__).resolve().parents[1] / 'fixtures' / 'dals'
ALL = sorted(p.name for p in FIXTURES.iterdir() if (p / 'generated_dal').is_dir())
# Stubs the bot must leave, with the reason it must give (messy_signatures/EXPECTED.json).
EXPECTED_LEFT = {
    'messy_signatures': {
        'export_orders': "unknown operation 'ExecuteStatement'",
        'archived_records': "no key templates for index 'ArchiveIndex'",
        # `stop_date` is not a bound's name: nothing is inferred for the pair.
        'orders_window': "parameters ['start_date', 'stop_date'] are neither key fields",
    }
}
# The fixtures of the generator's pre-release generation (tests/fixtures/pre_release.py).
PRE_RELEASE = ('legacy_deals', 'legacy_library', 'legacy_warehouse')


def copy_fixture(name: str, dest: Path) -> Path:
    shutil.copytree(FIXTURES / name, dest / name)
    return dest / name / 'generated_dal'


@pytest.fixture(scope='session')
def implemented(tmp_path_factory):
    """name -> (implemented DAL dir, ImplementResult), each fixture implemented once."""
    cache: dict = {}

    def get(name: str):
        if name not in cache:
            dal = copy_fixture(name, tmp_path_factory.mktemp(name))
            cache[name] = (dal, implement_dal(dal))
        return cache[name]

    return get
