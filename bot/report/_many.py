"""One summary across the DALs of a call: a row per DAL, whatever happened to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.verify._models import STATUSES

_SHORT = {'not-run': 'nrun', 'unsupported': 'unsup'}


@dataclass
class DalRow:
    dal: str
    implemented: int | None = None  # None: implement did not run
    left: int | None = None
    counts: dict[str, int] | None = None  # None: verify did not run
    seconds: float = 0.0
    error: str | None = None  # the one line a DAL that failed gets
    exit_code: int = 0
    detail: dict = field(default_factory=dict)


def summary_table(rows: Sequence[DalRow]) -> str:
    """Plain text, one line per DAL, then the totals; an error replaces the counts."""
    width = max([len(r.dal) for r in rows] + [3])
    heads = ['impl', 'left'] + [_SHORT.get(s, s) for s in STATUSES] + ['sec']
    lines = [f'{"DAL":<{width}}  ' + ' '.join(f'{h:>5}' for h in heads)]
    for r in rows:
        cells = [_cell(r.implemented), _cell(r.left)]
        cells += [_cell(r.counts.get(s) if r.counts else None) for s in STATUSES]
        line = f'{r.dal:<{width}}  ' + ' '.join(f'{c:>5}' for c in cells)
        line += f' {r.seconds:5.1f}'
        if r.error:
            line += f'  {r.error}'
        lines.append(line)
    failed = sum(1 for r in rows if r.error)
    total = f'{len(rows)} DAL(s)'
    if failed:
        total += f', {failed} failed'
    lines.append(total)
    return '\n'.join(lines) + '\n'


def _cell(value: int | None) -> str:
    return '-' if value is None else str(value)
