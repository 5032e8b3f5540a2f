"""Sample data that defeats a pattern's filter: left out of the samples when nothing else
needs it, else kept and named in the `empty` verdict; the markdown groups equal causes."""

from __future__ import annotations

from bot.implement import implement_dal
from bot.implement.usage import repair_usage
from bot.model import load_dal
from bot.report import markdown_table
from bot.verify import PatternResult, VerifyResult, verify_dal

from .conftest import FIXTURES, copy_fixture

ANALYTICS = FIXTURES / 'user_analytics' / 'generated_dal'
CRUD_UPDATE = "refreshed_entity.email = 'ada.l@example.com'"


def test_a_sample_value_that_defeats_attribute_not_exists_is_left_out():
    dal = load_dal(ANALYTICS)
    text = (ANALYTICS / 'usage_examples.py').read_text()
    assert text.count("churned_at='sample_churned_at'") == 2  # cleanup sample and CRUD sample
    new, repairs = repair_usage(dal, text)
    assert 'churned_at' not in new
    assert (
        'AP 12 UserRepository.get_retained_users_in_status: filter attribute_not_exists(churned_at): '
        "the script's User samples no longer set churned_at (was 'sample_churned_at')"
    ) in repairs
    # Only those two lines went from the CRUD half; the rest of it is as generated.
    crud = text.split('def _test_additional_access_patterns')[0].splitlines()
    kept = new.split('def _test_additional_access_patterns')[0].splitlines()
    assert [line for line in crud if line not in kept] == [
        "                churned_at='sample_churned_at',",
        "            churned_at='sample_churned_at',",
    ]
    compile(new, 'usage_examples.py', 'exec')


def test_kept_when_the_script_needs_it_and_the_verdict_names_clause_and_value(
    tmp_path, moto_server
):
    dal_dir = copy_fixture('user_analytics', tmp_path)
    usage = dal_dir / 'usage_examples.py'
    text = usage.read_text()
    assert CRUD_UPDATE in text
    usage.write_text(text.replace(CRUD_UPDATE, "refreshed_entity.churned_at = '2024-07-01'"))
    result = implement_dal(dal_dir)
    assert any(
        r.endswith('left as it is: the script sets it (its CRUD update)')
        for r in result.usage_repairs
    ), result.usage_repairs
    verdict = {p.id: p for p in verify_dal(load_dal(dal_dir), runner='python').patterns}[12]
    line = next(
        i
        for i, row in enumerate(usage.read_text().splitlines(), start=1)
        if row.strip() == "refreshed_entity.churned_at = '2024-07-01'"
    )
    assert verdict.status == 'empty'
    # The value the item has when the pattern runs: the CRUD update's, not the sample's.
    assert verdict.cause == (
        "filter attribute_not_exists(churned_at) excludes the script's item: "
        f"churned_at='2024-07-01' (usage_examples.py:{line})"
    )
    assert verdict.message == f'returned ([], None) — {verdict.cause}'


def test_markdown_writes_a_shared_cause_once():
    cause = 'status_pk of StatusIndex is a built key, and the generated create() …'
    patterns = [
        PatternResult(id=1, owner='R', method='a', status='ok', message='returned X'),
        PatternResult(
            id=2,
            owner='R',
            method='b',
            status='empty',
            message=f'returned ([], None) — {cause}',
            cause=cause,
        ),
        PatternResult(
            id=3,
            owner='R',
            method='c',
            status='empty',
            message=f'returned None — {cause}',
            cause=cause,
        ),
    ]
    table = markdown_table(
        VerifyResult(dal='d', backend='b', endpoint='e', runner='python', patterns=patterns)
    )
    assert table.count('status\\_pk of StatusIndex') == 1
    assert '| returned (\\[\\], None) <sup>1</sup> |' in table
    assert '| returned None <sup>1</sup> |' in table
    assert table.endswith('<sup>1</sup> &#35;2, &#35;3: ' + cause.replace('_', '\\_'))


def test_kept_when_a_call_reads_the_value():
    dal = load_dal(ANALYTICS)
    text = (ANALYTICS / 'usage_examples.py').read_text()
    call = "get_users_on_plan(created_entities['User'].plan)"
    assert call in text
    text = text.replace(call, "get_users_on_plan(created_entities['User'].churned_at)")
    new, repairs = repair_usage(dal, text)
    assert new.count("churned_at='sample_churned_at'") == 2
    assert any(
        r.endswith('left as it is: the script reads it (an argument of a call)') for r in repairs
    )


def test_two_keywords_of_one_call_go_cleanly():
    from bot.implement.usage.samples import _unset
    from bot.pysource import Source

    text = (
        "u = User(\n    a=1,\n    b='x',\n    c='y',\n)\nv = User(b='x', c='y')\nw = User(c=1)\n"
    )
    out = _unset(Source(text), {('User', 'b'), ('User', 'c')}).text
    assert out == 'u = User(\n    a=1,\n)\nv = User()\nw = User()\n'
