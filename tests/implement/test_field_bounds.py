"""Usage repairs pass range bounds a caller would pass, never strings tuned to the code."""

from __future__ import annotations

import re

import pytest

from .conftest import ALL

TUNED = re.compile(r"""\+\s*['"]~['"]|\[:-1\]""")


@pytest.mark.parametrize('name', ALL)
def test_no_repair_appends_a_tilde_or_cuts_a_character(name, implemented):
    dal_dir, _ = implemented(name)
    text = (dal_dir / 'usage_examples.py').read_text()
    assert not TUNED.findall(text)


def test_strict_date_bounds_are_the_day_before_or_after(implemented):
    dal_dir, _ = implemented('visit_ranges')
    text = (dal_dir / 'usage_examples.py').read_text()
    assert text.count("after_date='2024-06-11'") == 2  # main table and GSI, the sample is 06-12
    assert text.count("before_date='2024-06-13'") == 2
    # inclusive bounds are the date itself
    assert text.count("until_date=created_entities['Visit'].visit_date") == 2
    assert "end_date=created_entities['Order'].order_date" in text


def test_strict_datetime_bounds_move_by_a_second(implemented):
    dal_dir, _ = implemented('ecommerce')
    text = (dal_dir / 'usage_examples.py').read_text()
    # the sample order was placed at 2024-05-10T14:22:00Z
    assert "after='2024-05-10T14:21:59Z'" in text
    assert "before='2024-05-10T14:22:01Z'" in text
