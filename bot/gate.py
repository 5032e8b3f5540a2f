"""The verification gate: nothing the bot wrote whose own call raised is committed or pushed.

    gated = implement_verified(dal_dir, verify, commit=True)

1. implement, files only (no commit), and verify what was written;
2. every method the bot wrote whose own call raised (`PatternResult.raised`: not a call-site
   TypeError, not an `empty` result, which depends on data) is taken out; again from the
   stubs until nothing the bot wrote raises (taking one out can starve another of its data);
3. the stubs are put back byte for byte and implemented once more without the ones taken out
   (`implement_dal(exclude=...)`: the same code path, with chunk commits when `commit`), so
   those stay stubs and are listed in `not_pushed` with the attempted body;
4. the verdict describes what was written: the last verification when the files are
   byte-identical to the ones it ran on, else a new one.

Any failure (bad input, no DynamoDB, a bug) puts every file back as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.files import Snapshot, snapshot
from bot.implement import FILE_ORDER, ImplementResult, implement_dal
from bot.verify import VerifyResult

Verifier = Callable[[Path], VerifyResult]
USAGE = 'usage_examples.py'


@dataclass
class Gated:
    implement: ImplementResult
    verify: VerifyResult
    verifications: int  # how many times the DAL was verified


def implement_verified(
    path: Path | str,
    verify: Verifier,
    *,
    commit: bool = False,
    chunk_size: int = 4,
    author: tuple[str, str] | None = None,
) -> Gated:
    dal_dir = Path(path).resolve()
    original = snapshot([dal_dir / f for f in (*FILE_ORDER, USAGE)])
    excluded: dict[tuple[str, str], str] = {}
    runs = 0
    try:
        while True:
            trial = implement_dal(dal_dir, exclude=excluded)
            verified: Snapshot = snapshot(list(original.files))
            result = verify(dal_dir)
            runs += 1
            raised = _raised(trial, result, excluded)
            if not raised:
                break
            excluded |= raised
            original.restore()
        if not commit:
            return Gated(trial, result, runs)
        original.restore()
        final = implement_dal(
            dal_dir, commit=True, chunk_size=chunk_size, author=author, exclude=excluded
        )
        if not verified.same_as_disk():
            result = verify(dal_dir)
            runs += 1
    except BaseException:
        original.restore()
        raise
    return Gated(final, result, runs)


def _raised(
    trial: ImplementResult, result: VerifyResult, excluded: dict[tuple[str, str], str]
) -> dict[tuple[str, str], str]:
    """Methods this run wrote whose own call raised: (owner, method) -> 'raised <exception>'."""
    written = {(m.owner, m.name) for m in trial.implemented}
    out: dict[tuple[str, str], str] = {}
    for p in result.patterns:
        key = (p.owner, p.method)
        if p.raised and key in written and key not in excluded:
            out.setdefault(key, f'raised {p.raised}')
    return out
