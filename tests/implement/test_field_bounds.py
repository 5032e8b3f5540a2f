"""Usage repairs pass range bounds a caller would pass, never strings tuned to the code."""

from __future__ import annotations

import re

import pytest

from bot.implement import implement_dal
from bot.implement.usage import _sample_constructors
from bot.implement.usage.values import sample_literal
from bot.pysource import Source
from bot.ranges import kind

from .conftest import ALL, copy_fixture
from .test_ranges_and_transact_keys import _add_stubs

TILDE = re.compile(r"""\+\s*['"]~['"]""")
CUT = re.compile(r"created_entities\['(\w+)'\]\.(\w+)\[:-1\]")


@pytest.mark.parametrize('name', ALL)
def test_no_repair_appends_a_tilde_or_cuts_a_date(name, implemented):
    dal_dir, _ = implemented(name)
    text = (dal_dir / 'usage_examples.py').read_text()
    assert not TILDE.findall(text)
    samples = _sample_constructors(Source(text))
    cut = {f'{e}.{f}': sample_literal(samples, e, f) for e, f in CUT.findall(text)}
    assert not {k: v for k, v in cut.items() if kind(v) in ('date', 'datetime')}


def test_strict_date_bounds_are_the_day_before_or_after(implemented):
    dal_dir, _ = implemented('visit_ranges')
    text = (dal_dir / 'usage_examples.py').read_text()
    # computed from the created visit when the script runs: an update may have moved it
    day = "date.fromisoformat(created_entities['Visit'].visit_date) {} timedelta(days=1)"
    assert text.count(day.format('-')) == 2  # after_date: main table and GSI
    assert text.count(day.format('+')) == 2  # before_date
    assert text.count('from datetime import date, timedelta') == 1
    # inclusive bounds are the date itself
    assert text.count("until_date=created_entities['Visit'].visit_date") == 2
    assert "end_date=created_entities['Order'].order_date" in text


def test_strict_datetime_bounds_move_by_a_second_in_the_same_format(implemented):
    dal_dir, _ = implemented('ecommerce')
    text = ''.join((dal_dir / 'usage_examples.py').read_text().split())  # no whitespace
    moved = (
        "(datetime.fromisoformat(created_entities['Order'].placed_at.removesuffix('Z')){}"
        "timedelta(seconds=1)).isoformat()+'Z'"
    )
    assert moved.format('-') in text and moved.format('+') in text


def test_a_bound_follows_the_item_an_update_moved(implemented, dynamodb_client):
    """legacy_library's CRUD section moves the loan's due date (a GSI sort key) after the
    sample was created: the strict bound is the day after the loan's date as it is then."""
    from bot.model import load_dal
    from bot.verify import verify_dal

    dal_dir, _ = implemented('legacy_library')
    text = (dal_dir / 'usage_examples.py').read_text()
    assert 'due_before=str(\n' in text or 'due_before=str(' in text
    result = verify_dal(load_dal(dal_dir), runner='python', timeout=120)
    assert {p.method: p.status for p in result.patterns}['branch_loans_due_before'] == 'ok'


def test_single_field_and_multi_attribute_sort_keys_keep_plain_comparisons(implemented):
    ecommerce = (implemented('ecommerce')[0] / 'repositories.py').read_text()
    assert "Key('placed_at').between(start_date, end_date)" in ecommerce  # GSI `{placed_at}`
    assert "Key('placed_at').lte(cutoff)" in ecommerce
    gaming = (implemented('gaming_leaderboard')[0] / 'repositories.py').read_text()
    assert "Key('score').lt(below_score)" in gaming  # multi-attribute [mode, score]
    assert "Key('score').between(low_score, high_score)" in gaming
    assert "Key('level').gt(min_level)" in gaming


PREFIX_STUBS = '''
    def orders_after_key(self, customer_id: str, sort_key_prefix: str) -> list[Order]:
        """Orders whose sort key sorts after a key prefix"""
        # TODO: Implement Access Pattern #94
        # Operation: Query | Index: Main Table | Range Condition: >
        pass

    def orders_up_to_key(self, customer_id: str, like_prefix: str) -> list[Order]:
        """Orders whose sort key sorts at or before a key prefix"""
        # TODO: Implement Access Pattern #95
        # Operation: Query | Index: Main Table | Range Condition: <=
        pass
'''


def test_a_parameter_named_as_a_key_prefix_is_compared_as_a_string(tmp_path):
    path = copy_fixture('ecommerce', tmp_path)
    _add_stubs(path, 'OrderRepository', PREFIX_STUBS)
    assert implement_dal(path).left == []
    source = (path / 'repositories.py').read_text()
    # the key prefix itself, no '$' past the field: `> p` leaves out only the key equal to p
    assert "between(f'ORDER#{sort_key_prefix}', 'ORDER$')" in source
    assert "not in (f'ORDER#{sort_key_prefix}', 'ORDER$')" in source
    assert "between('ORDER#', f'ORDER#{like_prefix}')" in source
