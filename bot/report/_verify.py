"""Rendering a VerifyResult: markdown (PR comment, job summary), JSON, plain text (stdout)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from bot.verify import DYNAMODB_LOCAL_IMAGE, STATUSES, PatternResult, VerifyResult

SCHEMA = 'dal-bot/verify'
SCHEMA_VERSION = 1

STATUS_EMOJI = {
    'ok': '✅',
    'empty': '⚠️',
    'wrong': '🎯',
    'error': '❌',
    'unsupported': '🚫',
    'not-run': '⏭️',
}
_CELL_LIMIT = 300

# Characters that could end a cell, open markup or HTML, or mention someone on GitHub.
_MD_ESCAPES = {
    '\\': '\\\\',
    '|': '\\|',
    '`': '\\`',
    '*': '\\*',
    '_': '\\_',
    '[': '\\[',
    ']': '\\]',
    '<': '&lt;',
    '>': '&gt;',
    '@': '&#64;',
    '#': '&#35;',
}
_MD_SPECIAL = re.compile('|'.join(re.escape(c) for c in _MD_ESCAPES))


def status_emoji(status: str) -> str:
    return STATUS_EMOJI.get(status, '❔')


def escape_cell(text: object, limit: int = _CELL_LIMIT) -> str:
    """Untrusted text made safe for one markdown table cell: one line, no markup, no mentions."""
    flat = ' '.join(str(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + '…'
    return _MD_SPECIAL.sub(lambda m: _MD_ESCAPES[m.group(0)], flat)


def code_span(text: object) -> str:
    """`text` as inline code, safe whatever it holds."""
    flat = ' '.join(str(text).split())
    longest = max((len(run) for run in re.findall('`+', flat)), default=0)
    fence = '`' * (longest + 1)
    pad = ' ' if flat.startswith('`') or flat.endswith('`') else ''
    return f'{fence}{pad}{flat}{pad}{fence}' if flat else ''


def code_block(text: str, language: str = '') -> str:
    """A fenced block that no backtick run inside `text` can close early."""
    longest = max((len(run) for run in re.findall('`+', text)), default=0)
    fence = '`' * max(3, longest + 1)
    return f'{fence}{language}\n{text.rstrip()}\n{fence}'


def _units(rcu: float, wcu: float, *, compact: bool = False) -> str:
    """`1.5 RCU, 2 WCU`; compact leaves out a zero side (`1.5 RCU`), never both."""
    parts = [
        f'{rcu:g} RCU' if rcu or not compact else '',
        f'{wcu:g} WCU' if wcu or not compact else '',
    ]
    return ', '.join(p for p in parts if p) or f'{rcu:g} RCU'


def cost_totals(result: VerifyResult) -> tuple[float, float] | None:
    """(RCU, WCU) summed over the patterns that ran, None when none did."""
    ran = [p for p in result.patterns if p.rcu is not None or p.wcu is not None]
    if not ran:
        return None
    return round(sum(p.rcu or 0 for p in ran), 2), round(sum(p.wcu or 0 for p in ran), 2)


def cost_cell(p: PatternResult) -> str:
    """Capacity units, items read and returned, and the flags, as plain text ('' if not run)."""
    if p.rcu is None and p.wcu is None:
        return ''
    text = _units(p.rcu or 0, p.wcu or 0, compact=True)
    if p.items_read:
        text += f' ({p.items_read} read, {p.items_returned or 0} returned)'
    if p.flags:
        text += ' ⚠️ ' + '; '.join(p.flags)
    return text


def summary_line(result: VerifyResult) -> str:
    """One line: verdict emoji, counts per status, the capacity units spent, and time."""
    counts = result.counts()
    total = len(result.patterns)
    parts = [f'{counts["ok"]}/{total} ok'] + [
        f'{counts[s]} {s}' for s in STATUSES if s != 'ok' and counts[s]
    ]
    if result.timed_out:
        parts.append('timed out')
    elif result.crash:
        parts.append('crashed')
    if result.crud_errors:
        parts.append(f'{len(result.crud_errors)} CRUD failure(s)')
    verdict = '✅' if result.ok else '❌'
    totals = cost_totals(result)
    spent = f' · cost {_units(*totals)}' if totals else ''
    return f'{verdict} ' + ', '.join(parts) + spent + f' ({result.durations.total:.1f}s)'


def _index(p) -> str:
    if p.index_name:
        return p.index_name
    return '-' if p.operation in ('TransactWrite', 'TransactGet') else 'main table'


def markdown_table(result: VerifyResult) -> str:
    """The per-pattern table, every cell escaped. A cause several rows share (why they are
    empty) is written once, as a numbered note under the table, and the rows point to it."""
    notes: dict[str, list[int]] = {}
    for p in result.patterns:
        if p.cause:
            notes.setdefault(p.cause, []).append(p.id)
    number = {cause: i for i, cause in enumerate(notes, start=1)}
    rows = [
        '| # | Method | Operation | Index | Status | Cost | Message |',
        '|---:|---|---|---|---|---|---|',
    ]
    for p in result.patterns:
        method = code_span(f'{p.owner}.{p.method}')
        message = escape_cell(p.message)
        if p.cause:
            head = p.message.removesuffix(f' — {p.cause}')
            message = f'{escape_cell(head)} <sup>{number[p.cause]}</sup>'
        rows.append(
            f'| {p.id} | {method} | {escape_cell(p.operation or "")} '
            f'| {escape_cell(_index(p))} '
            f'| {status_emoji(p.status)} {p.status} | {escape_cell(cost_cell(p))} '
            f'| {message} |'
        )
    for cause, ids in notes.items():
        which = ', '.join(f'&#35;{i}' for i in ids)
        rows += ['', f'<sup>{number[cause]}</sup> {which}: {escape_cell(cause, 1000)}']
    return '\n'.join(rows)


def engine_note(result: VerifyResult) -> list[str]:
    """Markdown lines on what the engine lacks and how to get those patterns verified."""
    unsupported = sum(p.status == 'unsupported' for p in result.patterns)
    refused = [name for gap in result.engine_gaps for name in gap.indexes]
    out: list[str] = []
    if unsupported:
        out += [
            f'🚫 **{unsupported} access pattern(s) could not run on this DynamoDB engine** '
            '(`unsupported`: not verified, not ok):',
            '',
        ]
        for gap in result.engine_gaps:
            what = gap.indexes or gap.operations
            out.append(
                f'- {escape_cell(gap.message)}'
                + (f': {", ".join(code_span(w) for w in what)}' if what else '')
            )
        out += [
            '',
            'To verify them, use an engine that has these features: DynamoDB Local >= 3.3.0 '
            f'({code_span(DYNAMODB_LOCAL_IMAGE)}) as the `dynamodb-endpoint` service '
            '(`--endpoint` locally), or no endpoint at all for the embedded moto backend.',
        ]
    if refused:
        names = ', '.join(code_span(r) for r in refused)
        if not out:  # no pattern reads those indexes: the gap is only seen here
            gap = next(g for g in result.engine_gaps if g.indexes)
            out.append(f'🚫 {escape_cell(gap.message)}: {names}.')
        out += ['', _refused_cost(refused, names)]
    return out


def _refused_cost(refused: list[str], names: str) -> str:
    """Why the write costs here are lower than on DynamoDB."""
    return (
        f'Write costs (WCU) leave out {names}, '
        f'{"an index" if len(refused) == 1 else "indexes"} this engine did not create. On '
        'DynamoDB each write that puts, changes or removes an entry there also costs its units.'
    )


def to_markdown(
    result: VerifyResult, *, title: str | None = None, heading: str = '###', details: bool = True
) -> str:
    """One DAL's section: heading, summary line, table, CRUD failures and crash (collapsed).

    Several sections (and implement's) can be joined into one PR comment.
    """
    name = title if title is not None else result.dal
    out = [f'{heading} {code_span(name)}' if heading else code_span(name), '']
    out += [summary_line(result), '', markdown_table(result)]
    if note := engine_note(result):
        out += ['', *note]
    if result.crud_errors:
        out += ['', '**CRUD failures printed by usage_examples.py**', '']
        out += [
            f'- {escape_cell(e.action)}' + (f': {escape_cell(e.message)}' if e.message else '')
            for e in result.crud_errors
        ]
    if result.crash:
        label = 'Timeout' if result.timed_out else 'Crash'
        out += ['', '<details><summary>' + label + '</summary>', '', code_block(result.crash)]
        out += ['', '</details>']
    if details:
        out += ['', f'<sub>{escape_cell(result.backend)} · runner {result.runner} · ']
        d = result.durations
        out[-1] += f'tables {d.tables:.2f}s · run {d.run:.2f}s · parse {d.parse:.2f}s</sub>'
    return '\n'.join(out) + '\n'


def to_dict(result: VerifyResult, *, include_output: bool = True) -> dict[str, Any]:
    """The documented JSON object (bot/report/SCHEMA.md), schema version 1."""
    data: dict[str, Any] = {
        'schema': SCHEMA,
        'version': SCHEMA_VERSION,
        'dal': result.dal,
        'ok': result.ok,
        'exit_code': result.exit_code,
        'counts': result.counts(),
        'backend': result.backend,
        'endpoint': result.endpoint,
        'runner': result.runner,
        'command': list(result.command),
        'tables': list(result.tables),
        'patterns': [p.model_dump(mode='json') for p in result.patterns],
        'crud_errors': [e.model_dump(mode='json') for e in result.crud_errors],
        'engine_gaps': [g.model_dump(mode='json') for g in result.engine_gaps],
        'crash': result.crash,
        'timed_out': result.timed_out,
        'returncode': result.returncode,
        'forked': result.forked,
        'durations': result.durations.model_dump(mode='json'),
    }
    if include_output:
        data['stdout'] = result.stdout
        data['stderr'] = result.stderr
    return data


def to_json(
    result: VerifyResult | Sequence[VerifyResult], *, include_output: bool = True, indent: int = 2
) -> str:
    """One result as an object; several as {"schema", "version", "ok", "dals": [...]}."""
    if isinstance(result, VerifyResult):
        data: Any = to_dict(result, include_output=include_output)
    else:
        items = [to_dict(r, include_output=include_output) for r in result]
        data = {
            'schema': SCHEMA + '/many',
            'version': SCHEMA_VERSION,
            'ok': all(i['ok'] for i in items),
            'dals': items,
        }
    return json.dumps(data, indent=indent, ensure_ascii=False)


def _fit(text: str, width: int) -> str:
    flat = ' '.join(str(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + '…'


def to_text(result: VerifyResult, *, message_width: int = 70) -> str:
    """The plain summary table printed on stdout."""
    header = ('#', 'status', 'method', 'operation', 'index', 'rcu/wcu', 'message')
    rows = [
        (
            str(p.id),
            p.status,
            f'{p.owner}.{p.method}',
            p.operation or '',
            p.index_name or '-',
            f'{p.rcu or 0:g}/{p.wcu or 0:g}' if p.rcu is not None or p.wcu is not None else '-',
            _fit(p.message, message_width),
        )
        for p in result.patterns
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [f'verify {result.dal} — {result.backend}']
    for row in [header, *rows]:
        lines.append(
            '  '.join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        )
    for p in result.patterns:
        if p.flags:
            lines.append(f'cost flags #{p.id} {p.method}: ' + '; '.join(p.flags))
    for e in result.crud_errors:
        lines.append(
            f'CRUD failure: {e.action}' + (f': {_fit(e.message, 100)}' if e.message else '')
        )
    for gap in result.engine_gaps:
        what = ', '.join(gap.indexes or gap.operations)
        lines.append(f'unsupported: {gap.message}' + (f': {what}' if what else ''))
    if result.engine_gaps:
        lines.append(
            f'to verify them: DynamoDB Local >= 3.3.0 ({DYNAMODB_LOCAL_IMAGE}) as --endpoint, '
            'or the embedded moto (no --endpoint)'
        )
    if refused := [name for gap in result.engine_gaps for name in gap.indexes]:
        lines.append('cost: ' + _refused_cost(refused, ', '.join(refused)))
    if result.crash:
        lines.append('crash:' if not result.timed_out else 'timeout:')
        lines += ['  ' + line for line in result.crash.splitlines()[-15:]]
    d = result.durations
    lines.append(
        f'{summary_line(result)} — tables {d.tables:.2f}s, run {d.run:.2f}s, parse {d.parse:.3f}s'
    )
    return '\n'.join(lines) + '\n'
