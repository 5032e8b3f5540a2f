"""`implement` on every fixture DAL: stubs gone, files compile, nothing else touched."""

from __future__ import annotations

import py_compile
import shutil
import subprocess
import sys

import libcst as cst
import pytest

from bot.implement import implement_dal
from bot.implement._format import ruff_command
from bot.model import load_dal
from bot.model._code import STUB_MARKER

from .conftest import ALL, EXPECTED_LEFT, FIXTURES, copy_fixture


def _methods(path):
    """Source of every method (comments above it included), by (class, method)."""
    module = cst.parse_module(path.read_text(encoding='utf-8'))
    return {
        (cls.name.value, fn.name.value): module.code_for_node(fn)
        for cls in module.body
        if isinstance(cls, cst.ClassDef)
        for fn in cls.body.body
        if isinstance(fn, cst.FunctionDef)
    }


@pytest.mark.parametrize('name', ALL)
def test_every_stub_is_implemented_and_every_file_compiles(name, implemented):
    dal, result = implemented(name)
    left = {s.name: s.reason for s in result.left}
    expected = EXPECTED_LEFT.get(name, {})
    assert set(left) == set(expected), result.left
    for method, reason in expected.items():
        assert reason in left[method]
    for path in dal.glob('*.py'):
        py_compile.compile(str(path), doraise=True)
    still_stubs = {m.name for m in load_dal(dal).stubs}
    assert still_stubs == set(expected)
    assert result.implemented, 'nothing implemented'


@pytest.mark.parametrize('name', ALL)
def test_methods_that_are_not_stubs_stay_byte_identical(name, implemented):
    dal, _ = implemented(name)
    original = FIXTURES / name / 'generated_dal'
    for file in ('repositories.py', 'transaction_service.py'):
        if not (original / file).exists():
            continue
        before = _methods(original / file)
        after = _methods(dal / file)
        stubs = {(m.owner, m.name) for m in load_dal(original).stubs}
        for key, code in before.items():
            if key not in stubs or key[1] in EXPECTED_LEFT.get(name, {}):
                assert after[key] == code, f'{file}: {key} changed'


def test_hand_written_method_survives_with_its_bytes(implemented):
    dal, _ = implemented('messy_signatures')
    original = (FIXTURES / 'messy_signatures/generated_dal/repositories.py').read_text()
    start = original.index('    def count_orders')
    end = original.index('\n    def ', start + 10)
    assert original[start:end] in (dal / 'repositories.py').read_text()


@pytest.mark.parametrize('name', ALL)
def test_a_second_run_changes_nothing(name, implemented, tmp_path):
    dal, _ = implemented(name)
    copy = tmp_path / 'again'
    shutil.copytree(dal, copy)
    before = {p.name: p.read_bytes() for p in copy.iterdir() if p.is_file()}
    result = implement_dal(copy)
    assert result.implemented == [] and result.usage_repairs == []
    assert {p.name: p.read_bytes() for p in copy.iterdir() if p.is_file()} == before


def test_stub_comments_are_gone_and_docstrings_kept(implemented):
    dal, _ = implemented('shop_example')
    text = (dal / 'repositories.py').read_text()
    assert STUB_MARKER not in text
    original = load_dal(FIXTURES / 'shop_example/generated_dal')
    now = load_dal(dal)
    for stub in original.stubs:
        assert now.method(stub.owner, stub.name).docstring == stub.docstring


def test_imports_are_added_once(implemented):
    dal, _ = implemented('ecommerce')
    text = (dal / 'repositories.py').read_text()
    assert text.count('from botocore.exceptions import ClientError') == 1
    assert 'Key' in text.split('class ')[0]


def test_numeric_range_parameter_declared_as_string_is_sent_as_a_number(implemented):
    dal, _ = implemented('ecommerce')
    text = (dal / 'repositories.py').read_text()
    assert 'min_discount = Decimal(str(min_discount))' in text
    assert "raise ValueError(f'min_discount must be a number" in text


def test_older_template_blocks_come_back_and_report_their_result(implemented):
    dal, result = implemented('legacy_blog')
    text = (dal / 'usage_examples.py').read_text()
    assert '# try:' not in text
    assert text.count("print(f'   📊 Result: {result}')") >= 10
    assert '❌ Error testing Access Pattern #2' in text
    assert "= ''" not in text and '= ""' not in text  # placeholders filled
    assert any('uncommented' in r for r in result.usage_repairs)
    # main() keeps what it had: the older template has no safety check, and none is added.
    original = (FIXTURES / 'legacy_blog/generated_dal/usage_examples.py').read_text()
    assert text[text.index('def main') :] == original[original.index('def main') :]


def test_usage_safety_check_is_untouched(implemented):
    dal, _ = implemented('ecommerce')
    original = (FIXTURES / 'ecommerce/generated_dal/usage_examples.py').read_text()
    text = (dal / 'usage_examples.py').read_text()
    assert text[text.index('def main') :] == original[original.index('def main') :]


def test_call_missing_the_related_entity_is_repaired(implemented):
    dal, result = implemented('messy_signatures')
    text = (dal / 'usage_examples.py').read_text()
    assert "user=created_entities['User']" in text
    assert any('put_order' in r for r in result.usage_repairs)


def _block(text: str, pattern_id: int) -> str:
    start = text.index(f'# Access Pattern #{pattern_id}:')
    return text[start : text.index('except Exception', start)]


def test_created_entities_follow_what_the_patterns_write_and_delete(implemented):
    """The script's record of what it created must match the table: after pattern #9
    deletes the Address it must not hand the gone item to the patterns after it (the
    cross-table setups recreate what is missing), and after #2 puts a Customer (or #32
    writes cart lines) the patterns after it must look for that one."""
    dal, result = implemented('ecommerce')
    text = (dal / 'usage_examples.py').read_text()
    delete = _block(text, 9)
    assert delete.index("created_entities.pop('Address', None)") > delete.index(
        'self.address_repo.remove_address('
    )
    put = _block(text, 2)
    assert put.index("created_entities['Customer'] = result") > put.index('result = self.')
    batch = _block(text, 32)  # a batch returns nothing: the entity it wrote is recorded
    assert batch.index("created_entities['CartItem'] = test_entity") > batch.index('result = ')
    assert any('AP 2' in r and 'AP 9' in r and 'forgotten' in r for r in result.usage_repairs)


def _cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, '-m', 'bot', *args], capture_output=True, text=True, cwd=cwd
    )


def test_cli_exit_codes_and_summary(tmp_path):
    done = _cli(
        'implement',
        str(copy_fixture('shop_example', tmp_path)),
        '--json',
        str(tmp_path / 's.json'),
    )
    assert done.returncode == 0, done.stderr
    assert '10 implemented, 0 left' in done.stdout
    assert (tmp_path / 's.json').read_text().count('"operation"') == 10
    messy = _cli('implement', str(copy_fixture('messy_signatures', tmp_path)))
    assert messy.returncode == 1
    assert 'left: repositories.py:' in messy.stdout and 'ExecuteStatement' in messy.stdout


def _snapshot(root):
    return {p: p.read_bytes() for p in root.rglob('*') if p.is_file()}


@pytest.mark.parametrize(
    ('damage', 'message'),
    [
        (lambda d: (d / 'entities.py').unlink(), 'not a generated DAL: missing entities.py'),
        (
            lambda d: (d / 'repositories.py').write_text(
                (d / 'repositories.py').read_text() + '\ndef broken(:\n'
            ),
            'repositories.py:',
        ),
        (
            lambda d: (d / 'entities.py').write_bytes(b'# ok\nname = "caf\xe9"\n'),
            'entities.py:2: not valid UTF-8',
        ),
        (
            lambda d: (d / 'access_pattern_mapping.json').write_text(
                '{"access_pattern_mapping": {'
            ),
            'access_pattern_mapping.json:1: invalid JSON',
        ),
        (
            lambda d: (d.parent / 'schema.json').write_text('{"tables": [{"table_config": 5}]}'),
            'schema.json: unexpected shape',
        ),
    ],
    ids=['missing-file', 'syntax-error', 'not-utf8', 'broken-json', 'schema-shape'],
)
def test_bad_input_exits_2_names_the_file_and_writes_nothing(tmp_path, damage, message):
    dal = copy_fixture('shop_example', tmp_path)
    damage(dal)
    before = _snapshot(tmp_path)
    done = _cli('implement', str(dal))
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert _snapshot(tmp_path) == before


def test_syntax_error_message_has_the_line(tmp_path):
    dal = copy_fixture('shop_example', tmp_path)
    lines = (dal / 'repositories.py').read_text().splitlines()
    lines.insert(4, 'def broken(:')
    (dal / 'repositories.py').write_text('\n'.join(lines) + '\n')
    done = _cli('implement', str(dal))
    assert done.returncode == 2 and 'repositories.py:5: syntax error' in done.stderr


def test_a_folder_that_is_not_a_dal(tmp_path):
    done = _cli('implement', str(tmp_path))
    assert done.returncode == 2 and 'not a generated DAL' in done.stderr


def _human_methods_unchanged(path, before):
    after = _methods(path)
    for key, code in before.items():
        if STUB_MARKER not in code:
            assert after[key] == code, key


def test_a_crlf_dal_stays_crlf_and_its_other_lines_keep_their_bytes(tmp_path):
    """Windows checkouts of a generated DAL: only the stub bodies change, line ends stay."""
    dal = copy_fixture('shop_example', tmp_path)
    for path in dal.glob('*.py'):
        path.write_bytes(path.read_bytes().replace(b'\n', b'\r\n'))
    before = {p.name: p.read_bytes() for p in dal.glob('*.py')}
    methods = _methods(dal / 'repositories.py')
    result = implement_dal(dal)
    assert result.implemented and not result.left
    for name in ('repositories.py', 'usage_examples.py'):
        after = (dal / name).read_bytes()
        assert after != before[name]
        assert after.count(b'\n') == after.count(b'\r\n'), f'{name} has LF-only lines'
    _human_methods_unchanged(dal / 'repositories.py', methods)


def test_form_feeds_and_line_separators_in_strings_do_not_shift_the_edits(tmp_path):
    """str.splitlines breaks at \\f and U+2028, Python does not: edits land where ast says."""
    dal = copy_fixture('shop_example', tmp_path)
    odd = 'NOTE = "page\x0cbreak\u2028line"  # \x0c\u2028 in a comment\n'
    for name in ('repositories.py', 'usage_examples.py'):
        path = dal / name
        text = path.read_text(encoding='utf-8')
        path.write_text(text.replace('\nclass ', '\n' + odd + '\n\nclass ', 1), encoding='utf-8')
    methods = _methods(dal / 'repositories.py')
    result = implement_dal(dal)
    assert result.implemented and not result.left
    assert result.usage_repairs
    for name in ('repositories.py', 'usage_examples.py'):
        assert odd in (dal / name).read_text(encoding='utf-8')
    _human_methods_unchanged(dal / 'repositories.py', methods)
    assert not load_dal(dal).stubs


@pytest.mark.parametrize('name', ALL)
def test_a_dal_that_passes_its_own_lint_still_does(name, implemented):
    """The generator's ruff.toml selects isort, pydocstyle and pyflakes rules: the bot's
    bodies and imports must not be what breaks a DAL's lint."""
    original = FIXTURES / name / 'generated_dal'

    def lint(folder):
        return subprocess.run(
            [*ruff_command(), 'check', '--no-cache', '--config', 'ruff.toml', '.'],
            cwd=folder,
            capture_output=True,
            text=True,
        )

    if not (original / 'ruff.toml').is_file() or lint(original).returncode != 0:
        pytest.skip(f'{name} does not pass its own lint as generated')
    dal, _ = implemented(name)
    done = lint(dal)
    assert done.returncode == 0, done.stdout


def test_transaction_setup_rereads_an_existing_entity_by_its_whole_key(implemented):
    """The generator's setup re-reads an entity that already exists with `get_x(<pk field>)`
    only; with a sort key that raises TypeError and every transaction after it fails."""
    dal, result = implemented('ticketing')
    text = (dal / 'usage_examples.py').read_text()
    assert 'get_ticket_order(setup_ticketorder.customer_id)' not in text
    assert (
        'get_ticket_order(\n'
        '                                setup_ticketorder.customer_id,\n'
        '                                setup_ticketorder.placed_at,\n'
        '                                setup_ticketorder.order_id,\n'
    ) in text
    assert any('missing key arguments from setup_ticketorder' in r for r in result.usage_repairs)


def test_a_strict_bound_set_to_the_items_own_field_is_moved_past_it(implemented):
    """`tier_seats_cheaper_than(..., price=created_entities['Seat'].price)` with `<` can never
    return the created seat."""
    dal, _ = implemented('ticketing')
    block = _block((dal / 'usage_examples.py').read_text(), 13)
    assert "price=created_entities['Seat'].price + 1" in block


def test_a_condition_naming_reserved_words_is_sent_with_placeholders(implemented):
    """`count >= :count` and `status = :bin_status` verbatim are a ValidationException
    ("Attribute name is a reserved keyword") on DynamoDB, and the whole transaction fails."""
    dal, _ = implemented('legacy_warehouse')
    text = (dal / 'transaction_service.py').read_text()
    assert "'ConditionExpression': '#count >= :count'" in text
    assert "'ConditionExpression': '#status = :bin_status'" in text
    assert "'ExpressionAttributeNames': {'#status': 'status'}" in text
    assert "'#count': 'count'" in text
