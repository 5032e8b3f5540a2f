"""From what the launcher observed and what the script printed to a verdict per access pattern.

Pure functions over text: no processes, no network.

Calls are mapped to patterns through the model (owner class + method name). When a method is
called several times (a pattern method that is also a CRUD method, a transaction-test setup), the
calls made from the pattern's own test block count: the block is found from the line that made
the call and the `Pattern #N` markers of usage_examples.py (the current template's comments and
prints, the older template's `# Access Pattern #N` comments). The script's printed errors are the
second source: an error printed for pattern N whose method never ran (a call-site TypeError) or
raised after it returned is still an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.model import AccessPattern, Dal, Table
from bot.verify._causes import empty_cause
from bot.verify._engine import Capabilities
from bot.verify._models import CrudError, PatternResult
from bot.verify.cost import pattern_cost

SCRIPT = 'usage_examples.py'
_MARKER = re.compile(r'Pattern #(\d+)')
_DEF = re.compile(r'^\s*(?:async\s+)?def\s+\w+')
_TESTING = re.compile(r'Testing Access Pattern #(\d+)')
_CROSS = re.compile(r'^\s*-{2,}\s*Pattern #(\d+)')
_PRINTED_ERROR = re.compile(r'Error testing Access Pattern #(\d+):\s?(.*)$')
_OPERATION_FAILED = re.compile(r'❌\s*Operation failed:\s?(.*)$')
_CRUD_FAILED = re.compile(r'❌\s*(?:Failed to|Could not) (.+?)(?::\s(.*))?$')
_TRACEBACK = 'Traceback (most recent call last):'
_MESSAGE_LIMIT = 500
STILL_A_STUB = 'the method is still a stub'


@dataclass
class Call:
    seq: int
    owner: str
    method: str
    depth: int = 0
    caller_file: str = ''
    caller_line: int = 0
    caller_function: str = ''
    args: str = ''
    kwargs: str = ''
    outcome: str = 'running'  # ok | empty | error | running
    error_type: str = ''
    error: str = ''
    call_site: bool = False  # the arguments did not bind: the method's body never ran
    summary: str = ''
    result: str = ''
    seconds: float = 0.0
    section: int | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)  # DynamoDB requests it made


@dataclass
class Trace:
    started: bool = False
    instrumented: list[str] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)


def parse_trace(text: str) -> Trace:
    """The launcher's JSON lines; a torn last line (process killed mid-write) is skipped."""
    trace = Trace()
    by_seq: dict[int, Call] = {}
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        event = record.get('event')
        if event == 'start':
            trace.started = True
        elif event == 'instrumented':
            trace.instrumented = list(record.get('methods', []))
        elif event == 'call':
            call = Call(
                seq=record['seq'],
                owner=record['owner'],
                method=record['method'],
                depth=record.get('depth', 0),
                caller_file=record.get('caller_file', ''),
                caller_line=record.get('caller_line', 0),
                caller_function=record.get('caller_function', ''),
                args=record.get('args', ''),
                kwargs=record.get('kwargs', ''),
            )
            by_seq[call.seq] = call
            trace.calls.append(call)
        elif event == 'request' and record.get('seq') in by_seq:
            by_seq[record['seq']].requests.append(record)
        elif event in ('return', 'raise') and record.get('seq') in by_seq:
            call = by_seq[record['seq']]
            call.seconds = float(record.get('seconds', 0.0))
            if event == 'raise':
                call.outcome = 'error'
                call.error_type = record.get('error_type', '')
                call.error = record.get('error', '')
                call.call_site = bool(record.get('call_site'))
            else:
                call.outcome = 'empty' if record.get('empty') else 'ok'
                call.summary = record.get('summary', '')
                call.result = record.get('result', '')
    return trace


def source_sections(source: str) -> list[int | None]:
    """For each line of usage_examples.py (1-based, index 0 unused): the pattern whose test block
    it is in. A block runs from a `Pattern #N` marker to the next marker or `def`."""
    sections: list[int | None] = [None]
    current: int | None = None
    for line in source.splitlines():
        if _DEF.match(line):
            current = None
        marker = _MARKER.search(line)
        if marker:
            current = int(marker.group(1))
        sections.append(current)
    return sections


@dataclass
class Printed:
    errors: dict[int, str] = field(default_factory=dict)
    entered: list[int] = field(default_factory=list)
    crud_errors: list[CrudError] = field(default_factory=list)


def parse_output(stdout: str) -> Printed:
    """The script's prints: which pattern blocks ran, the errors they printed, CRUD failures."""
    printed = Printed()
    current: int | None = None
    for number, line in enumerate(stdout.splitlines(), start=1):
        entered = _TESTING.search(line) or _CROSS.match(line)
        if entered:
            current = int(entered.group(1))
            printed.entered.append(current)
            continue
        error = _PRINTED_ERROR.search(line)
        if error:
            printed.errors.setdefault(int(error.group(1)), error.group(2).strip())
            continue
        failed = _OPERATION_FAILED.search(line)
        if failed and current is not None:
            printed.errors.setdefault(current, failed.group(1).strip())
            continue
        crud = _CRUD_FAILED.search(line)
        if crud:
            printed.crud_errors.append(
                CrudError(
                    action=crud.group(1).strip(),
                    message=(crud.group(2) or '').strip(),
                    line=number,
                )
            )
    return printed


def crash_text(stderr: str, returncode: int | None) -> str | None:
    """The uncaught exception's traceback when the script failed, else None."""
    if returncode in (0, None):
        return None
    at = stderr.rfind(_TRACEBACK)
    text = stderr[at:] if at >= 0 else stderr[-3000:]
    text = text.strip()
    return text or f'usage_examples.py exited with code {returncode}'


def _clip(text: str) -> str:
    text = ' '.join(text.split())
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + '…'


# Writes whose only honest return value is None (the generator annotates batch writes `-> X | None`).
_WRITES_RETURNING_NONE = ('BatchWriteItem', 'TransactWrite')


def _from_calls(
    calls: list[Call],
    is_stub: bool,
    timeout: float | None,
    returns: str | None = None,
    operation: str | None = None,
) -> tuple[str, str]:
    running = [c for c in calls if c.outcome == 'running']
    if running:
        wait = f' after {timeout:g}s' if timeout else ''
        return 'error', f'still running when the run timed out{wait}'
    errors = [c for c in calls if c.outcome == 'error']
    if errors:
        c = errors[0]
        return 'error', f'{c.error_type}: {c.error}' if c.error else c.error_type
    good = [c for c in calls if c.outcome == 'ok']
    if good:
        return 'ok', f'returned {good[0].summary}'
    if returns == 'None' and not is_stub and all(c.result == 'None' for c in calls):
        return 'ok', 'returned None, as its signature declares (-> None)'
    if (
        operation in _WRITES_RETURNING_NONE
        and not is_stub
        and all(c.result == 'None' for c in calls)
    ):
        return 'ok', f'{operation} completed (returns None)'
    return 'empty', f'returned {calls[-1].result}'


def _commented_out(pattern: AccessPattern, source: str, sections: list[int | None]) -> bool:
    lines = source.splitlines()
    needle = f'.{pattern.method}('
    hits = [
        line
        for i, line in enumerate(lines, start=1)
        if needle in line and i < len(sections) and sections[i] == pattern.id
    ]
    return bool(hits) and all(line.lstrip().startswith('#') for line in hits)


def _partial_read(pattern: AccessPattern, calls: list[Call]) -> str | None:
    """A TransactGet that found fewer items than it reads: the script created them all, so
    one was read by the wrong key (a non-empty dict alone would pass as ok)."""
    gets = sum(1 for i in pattern.transaction_items if i.action == 'Get')
    found = [
        int(hit.group(1))
        for c in calls
        if c.outcome == 'ok' and (hit := re.fullmatch(r'(?:dict|list) of (\d+)', c.summary or ''))
    ]
    if pattern.operation != 'TransactGet' or not found or max(found) >= gets:
        return None
    return f'returned {max(found)} of the {gets} items it reads'


def judge(
    dal: Dal,
    trace: Trace,
    printed: Printed,
    source: str,
    *,
    timed_out: bool = False,
    crashed: bool = False,
    timeout: float | None = None,
    tables: Iterable[Table] | None = None,
    capabilities: Capabilities | None = None,
) -> list[PatternResult]:
    """`tables`: the tables the run created (default: the model's), for the GSI write costs
    (an index `capabilities` says the engine refused costs nothing: the table has no such index).
    With `capabilities`, a pattern that needs what the engine lacks (an index it refused, an
    operation it does not know) is `unsupported`, whatever its calls did: the engine, not the
    DAL, is what failed."""
    tables = list(dal.tables if tables is None else tables)
    absent = capabilities.refused if capabilities is not None else set()  # costs nothing
    sections = source_sections(source)
    for call in trace.calls:
        if call.caller_file == SCRIPT and 0 < call.caller_line < len(sections):
            call.section = sections[call.caller_line]
    top = [c for c in trace.calls if c.depth == 0]
    marked = {s for s in sections if s is not None}
    results = []
    for p in sorted(dal.patterns, key=lambda p: p.id):
        method = dal.method(p.owner, p.method)
        is_stub = bool(method and method.is_stub) or p.is_stub
        returns = method.returns if method else None
        own = [c for c in top if c.owner == p.owner and c.method == p.method]
        in_block = [c for c in own if c.section == p.id]
        printed_error = printed.errors.get(p.id)
        evidence = 'call'
        if in_block:
            status, message = _from_calls(in_block, is_stub, timeout, returns, p.operation)
            if status != 'error' and printed_error:
                status = 'error'
                message = f'its test block failed after the call returned: {printed_error}'
            judged = in_block
        elif printed_error:
            status, message, evidence, judged = 'error', printed_error, 'output', []
        elif own:
            status, message = _from_calls(own, is_stub, timeout, returns, p.operation)
            message += ' (called outside its test block)'
            judged = own
        else:
            status, evidence, judged = 'not-run', 'none', []
            if timed_out:
                message = 'not reached before the run timed out'
            elif crashed:
                message = 'not reached: usage_examples.py crashed'
            elif _commented_out(p, source, sections):
                message = 'its call in usage_examples.py is commented out'
            elif p.id not in marked:
                message = 'usage_examples.py has no test block for it'
            else:
                message = 'never called by usage_examples.py --all'
        # The method's own body raised (not a call whose arguments did not bind): what the
        # verification gate takes out before anything is pushed.
        raised = next(
            (
                f'{c.error_type}: {c.error}' if c.error else c.error_type
                for c in judged
                if c.outcome == 'error' and not c.call_site
            ),
            None,
        )
        if status == 'ok' and (partial := _partial_read(p, judged)):
            status, message = 'empty', partial
        kwargs = judged[-1].kwargs if judged else ''
        cause = None
        if status == 'empty':
            # A stub's body is `pass`: it returns None and nothing else.
            stubbed = is_stub and judged and all(c.result == 'None' for c in judged)
            cause = STILL_A_STUB if stubbed else empty_cause(dal, p, source, kwargs)
        if cause:
            message += f' — {cause}'
        if capabilities is not None:
            entity = dal.entity(p.entity) if p.entity else None
            why = capabilities.for_index(entity.table if entity else None, p.index_name)
            if why is None and status == 'error':
                why = capabilities.for_error(message)
            if why is not None:
                status, message, cause = 'unsupported', why, None
        spent = (
            pattern_cost([r for c in judged for r in c.requests], tables, absent)
            if judged
            else None
        )
        results.append(
            PatternResult(
                id=p.id,
                description=p.description,
                owner=p.owner,
                method=p.method,
                operation=p.operation or p.raw_operation,
                index_name=p.index_name,
                status=status,
                message=_clip(message),
                cause=cause or '',
                seconds=round(sum(c.seconds for c in judged), 4),
                calls=len(judged),
                evidence=evidence,
                rcu=spent.rcu if spent else None,
                wcu=spent.wcu if spent else None,
                items_read=spent.items_read if spent else None,
                items_returned=spent.items_returned if spent else None,
                flags=spent.flags if spent else [],
                raised=_clip(raised) if status == 'error' and raised else None,
            )
        )
    return results
