"""The verdict logic and the renderers, on synthetic traces and hostile text (no processes)."""

from __future__ import annotations

import json

from verify_dals import FIXTURES, SHOP

from bot.model import load_dal
from bot.report import escape_cell, markdown_table, to_dict, to_json, to_markdown, to_text
from bot.verify import PatternResult, VerifyResult
from bot.verify._judge import judge, parse_output, parse_trace, source_sections

SOURCE = """class UsageExamples:
    def _test_additional_access_patterns(self, created_entities):
        # Access Pattern #1: Read
        try:
            result = self.customer_repo.lookup_customer(x)
        except Exception as e:
            print(f"Error testing Access Pattern #1: {e}")
        # Access Pattern #4: Find
        try:
            result = self.order_repo.find_order(created_entities['Order'].nope)
        except Exception as e:
            print(f"Error testing Access Pattern #4: {e}")

    def run_examples(self):
        self.customer_repo.lookup_customer(x)
"""


def _trace(*records) -> str:
    return '\n'.join(json.dumps(r) for r in [{'event': 'start'}, *records])


def _call(seq, method, line, owner='CustomerRepository', depth=0):
    return {
        'event': 'call',
        'seq': seq,
        'owner': owner,
        'method': method,
        'depth': depth,
        'caller_file': 'usage_examples.py',
        'caller_line': line,
        'caller_function': 'f',
        'args': '()',
    }


def test_sections_follow_markers_and_end_at_def():
    sections = source_sections(SOURCE)
    assert sections[5] == 1 and sections[10] == 4 and sections[15] is None


def test_block_calls_win_over_calls_elsewhere_and_printed_errors_count():
    dal = load_dal(SHOP)
    trace = parse_trace(
        _trace(
            _call(1, 'lookup_customer', 15),  # CRUD-phase call: ok
            {'event': 'return', 'seq': 1, 'empty': False, 'summary': 'Customer'},
            _call(2, 'lookup_customer', 5),  # its own block: empty
            {'event': 'return', 'seq': 2, 'empty': True, 'result': 'None'},
            _call(3, 'get_customer', 5, depth=1),  # nested: ignored
        )
        + '\n{"event": "ret'  # torn last line (killed mid-write)
    )
    printed = parse_output(
        '🔍 Testing Access Pattern #4: Find\n'
        "Error testing Access Pattern #4: 'Order' object has no attribute 'nope'\n"
        '❌ Failed to create order: ValidationException: bad key\n'
    )
    results = {p.id: p for p in judge(dal, trace, printed, SOURCE)}
    assert results[1].status == 'empty' and results[1].calls == 1
    assert results[4].status == 'error' and results[4].evidence == 'output'
    assert "has no attribute 'nope'" in results[4].message
    assert results[2].status == 'not-run' and 'no test block' in results[2].message
    assert printed.crud_errors[0].action == 'create order'
    assert printed.crud_errors[0].message == 'ValidationException: bad key'


def test_cross_table_operation_failed_is_attributed_to_its_section():
    printed = parse_output(
        '--- Pattern #101: Read both ---\n   ❌ Operation failed: TransactionCanceledException\n'
    )
    assert printed.errors == {101: 'TransactionCanceledException'}


def test_emptiness_rules():
    import bot.verify._launcher as launcher

    for value in (None, False, [], {}, (), ([], None), {'order': None, 'product': None}):
        assert launcher._is_empty(value), value
    for value in (0, True, [None], ([1], None), ([], {'pk': 'x'}), {'a': 1}, 'x'):
        assert not launcher._is_empty(value), value


HOSTILE = 'boom | `x` <b>bold</b> @octocat #12 [link](http://e)\nsecond line'


def _result(message: str = HOSTILE) -> VerifyResult:
    return VerifyResult(
        dal='d',
        backend='embedded moto',
        endpoint='http://127.0.0.1:1',
        runner='python',
        patterns=[
            PatternResult(id=1, owner='R', method='m', status='error', message=message),
            PatternResult(id=2, owner='R', method='n', status='ok', operation='Query'),
        ],
        crash='Traceback\n```\n</details> injected',
    )


def test_markdown_cells_cannot_break_the_table_or_mention():
    table = markdown_table(_result())
    rows = table.splitlines()
    assert len(rows) == 4
    row = rows[2]
    assert row.count('|') - row.count('\\|') == 8  # 7 cells
    for bad in ('`x`', '<b>', '@octocat', '#12', '[link](', '\n'):
        assert bad not in escape_cell(HOSTILE)


def test_markdown_crash_block_is_fenced_longer_than_its_content():
    md = to_markdown(_result())
    assert '````\nTraceback\n```\n</details> injected\n````' in md
    assert md.count('<details>') == 1


def test_json_schema_is_stable():
    data = to_dict(_result())
    assert list(data) == [
        'schema',
        'version',
        'dal',
        'ok',
        'exit_code',
        'counts',
        'backend',
        'endpoint',
        'runner',
        'command',
        'tables',
        'patterns',
        'crud_errors',
        'engine_gaps',
        'crash',
        'timed_out',
        'returncode',
        'forked',
        'durations',
        'stdout',
        'stderr',
    ]
    assert data['counts'] == {
        'ok': 1,
        'empty': 0,
        'wrong': 0,
        'error': 1,
        'unsupported': 0,
        'not-run': 0,
    }
    assert list(data['patterns'][0]) == [
        'id',
        'description',
        'owner',
        'method',
        'operation',
        'index_name',
        'status',
        'message',
        'seconds',
        'calls',
        'evidence',
        'missing',
        'extra',
        'rcu',
        'wcu',
        'items_read',
        'items_returned',
        'flags',
        'raised',
        'cause',
    ]
    many = json.loads(to_json([_result(), _result()], include_output=False))
    assert many['ok'] is False and len(many['dals']) == 2 and 'stdout' not in many['dals'][0]


def test_text_summary():
    text = to_text(_result('short'))
    assert 'R.m' in text and '1/2 ok, 1 error, crashed' in text


def test_none_is_ok_only_when_the_signature_declares_none():
    dal = load_dal(SHOP)
    method = dal.method('CustomerRepository', 'register_customer')
    declared = method.model_copy(update={'returns': 'None', 'is_stub': False})
    methods = tuple(declared if m is method else m for m in dal.methods)
    patterns = tuple(p.model_copy(update={'is_stub': False}) for p in dal.patterns)
    dal = dal.model_copy(update={'methods': methods, 'patterns': patterns})
    source = '    # Access Pattern #2: Upsert\n    self.customer_repo.register_customer(c)\n'
    trace = parse_trace(
        _trace(
            _call(1, 'register_customer', 2),
            {'event': 'return', 'seq': 1, 'empty': True, 'result': 'None'},
        )
    )
    result = {p.id: p for p in judge(dal, trace, parse_output(''), source)}[2]
    assert result.status == 'ok' and '-> None' in result.message


def test_an_empty_read_of_a_built_index_key_says_why():
    """StatusIndex is keyed on `status_pk = 'STATUS#…'`, which create() never writes: an
    empty result there gets the reason; AssigneeIndex (plain fields) gets none."""
    dal = load_dal(FIXTURES / 'synthetic_gsi' / 'generated_dal')
    source = (
        'class UsageExamples:\n'
        '    def _test_additional_access_patterns(self, created_entities):\n'
        '        # Access Pattern #3: In a status\n'
        '        result = self.ticket_repo.tickets_in_status(s)\n'
        '        # Access Pattern #5: Of an assignee\n'
        '        result = self.ticket_repo.assignee_tickets_above_priority(a, p)\n'
    )
    trace = parse_trace(
        _trace(
            _call(1, 'tickets_in_status', 4, owner='TicketRepository'),
            {'event': 'return', 'seq': 1, 'empty': True, 'result': '([], None)'},
            _call(2, 'assignee_tickets_above_priority', 6, owner='TicketRepository'),
            {'event': 'return', 'seq': 2, 'empty': True, 'result': '([], None)'},
        )
    )
    results = {p.id: p for p in judge(dal, trace, parse_output(''), source)}
    assert results[3].status == 'empty'
    assert 'status_pk of StatusIndex is a built key' in results[3].message
    assert 'create()' in results[3].message
    assert results[5].status == 'empty' and 'built keys' not in results[5].message


def test_an_empty_scan_names_the_filter_clauses_the_scripts_item_fails():
    """Scan #8 filters `updated_at < :cutoff AND status <> :closed_status`; called with the
    values of the script's own ticket, both clauses exclude it, and the cause says so."""
    dal = load_dal(FIXTURES / 'synthetic_gsi' / 'generated_dal')
    source = (
        'class UsageExamples:\n'
        '    def run_examples(self):\n'
        '        sample_ticket = Ticket(\n'
        "            ticket_id='t1', status='OPEN', priority=2, updated_at='2024-04-03'\n"
        '        )\n'
        '        created = self.ticket_repo.create_ticket(sample_ticket)\n'
        '    def _test_additional_access_patterns(self, created_entities):\n'
        '        # Access Pattern #8: Stale\n'
        '        result = self.ticket_repo.scan_stale_tickets(cutoff=c, closed_status=s)\n'
    )
    call = _call(1, 'scan_stale_tickets', 9, owner='TicketRepository')
    call['kwargs'] = repr({'cutoff': '2024-01-01', 'closed_status': 'OPEN'})
    trace = parse_trace(
        _trace(call, {'event': 'return', 'seq': 1, 'empty': True, 'result': '([], None)'})
    )
    result = {p.id: p for p in judge(dal, trace, parse_output(''), source)}[8]
    assert result.status == 'empty'
    assert result.cause == (
        "filter updated_at < :cutoff excludes the script's item: updated_at='2024-04-03', "
        "cutoff='2024-01-01'; status <> :closed_status excludes the script's item: "
        "status='OPEN', closed_status='OPEN' (usage_examples.py:3)"
    )


def test_a_transaction_read_that_finds_fewer_items_than_it_reads_is_not_ok():
    dal = load_dal(FIXTURES / 'ecommerce' / 'generated_dal')
    source = (
        'class UsageExamples:\n'
        '    def _test_cross_table_patterns(self, created_entities):\n'
        '        # Access Pattern #101: Order and product\n'
        '        result = self.transaction_service.get_order_and_product(o, p)\n'
    )

    def verdict(summary: str):
        trace = parse_trace(
            _trace(
                _call(1, 'get_order_and_product', 4, owner='TransactionService'),
                {'event': 'return', 'seq': 1, 'empty': False, 'summary': summary},
            )
        )
        return {p.id: p for p in judge(dal, trace, parse_output(''), source)}[101]

    partial = verdict('dict of 1')
    assert (partial.status, partial.message) == ('empty', 'returned 1 of the 2 items it reads')
    assert verdict('dict of 2').status == 'ok'


def test_an_index_the_engine_did_not_create_is_named_next_to_the_costs():
    """No pattern reads the refused index (none is `unsupported`), yet the writes' costs leave
    it out: the comment and the text report say which index, and why."""
    from bot.verify._models import EngineGap

    result = VerifyResult(
        dal='d',
        backend='b',
        endpoint='e',
        runner='python',
        patterns=[PatternResult(id=1, owner='R', method='put', status='ok', rcu=0, wcu=2)],
        engine_gaps=[
            EngineGap(
                feature='multi-attribute GSI keys',
                message='this endpoint has no multi-attribute GSI keys (DynamoDB Local >= 3.3.0)',
                indexes=['Telemetry.ZoneTime'],
            )
        ],
    )
    markdown = to_markdown(result)
    assert (
        '🚫 this endpoint has no multi-attribute GSI keys (DynamoDB Local &gt;= 3.3.0): '
        '`Telemetry.ZoneTime`.' in markdown
    )
    assert (
        'Write costs (WCU) leave out `Telemetry.ZoneTime`, an index this engine did not create.'
        in markdown
    )
    assert 'cost: Write costs (WCU) leave out Telemetry.ZoneTime, an index' in to_text(result)
    assert 'leave out' not in to_markdown(result.model_copy(update={'engine_gaps': []}))
