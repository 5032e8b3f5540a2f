"""The verification gate: nothing the bot wrote whose own call raised (or returned the wrong
items: `wrong`) is committed or pushed.

    gated = implement_verified(dal_dir, verify, commit=True)           # one DAL
    outcomes = gate_many(dal_dirs, verify_batch, commit=True)           # several, verified together

1. implement, files only (no commit), and verify what was written;
2. every method the bot wrote whose own call raised (`PatternResult.raised`: not a call-site
   TypeError, not an `empty` result, which depends on data) or that is `wrong` is taken out;
   again from the stubs until nothing the bot wrote raises (taking one out can starve another
   of its data);
3. the stubs are put back byte for byte and implemented once more without the ones taken out
   (`implement_dal(exclude=...)`: the same code path, with chunk commits when `commit`), so
   those stay stubs and are listed in `not_pushed` with the attempted body;
4. the verdict describes what was written: the last verification when the files are
   byte-identical to the ones it ran on, else a new one.

A DAL that fails (bad input, no verdict) has every file put back; anything else (a bug,
Ctrl-C) puts back the files of every DAL and propagates. Files already committed stay as
committed (the work tree matches HEAD; the action resets its commits when a DAL fails).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import BadInput, InfrastructureError
from bot.files import Snapshot, snapshot
from bot.implement import FILE_ORDER, ImplementResult, implement_dal, index_keys
from bot.verify import VerifyResult

USAGE = 'usage_examples.py'
# Verifies the DALs at these paths (an iterator: each may be verified as soon as it comes),
# results in order; an entry that is not a VerifyResult is that DAL's failure, handed back to
# the caller as it is.
BatchVerifier = Callable[[Iterator[Path]], Sequence[Any]]


@dataclass
class Gated:
    implement: ImplementResult
    verify: VerifyResult
    verifications: int  # how many times the DAL was verified


@dataclass
class _Dal:
    path: Path
    original: Snapshot
    excluded: dict[tuple[str, str], str] = field(default_factory=dict)
    implemented: ImplementResult | None = None
    verified: Snapshot | None = None  # the bytes the last verification ran on
    result: VerifyResult | None = None
    runs: int = 0
    failure: Any = None  # BadInput / InfrastructureError, or the verifier's failure entry
    again: bool = True
    committed: bool = False  # its files are now those of its commits: never put back

    def restore(self) -> None:
        if not self.committed:
            self.original.restore()


def implement_verified(
    path: Path | str,
    verify: Callable[[Path], VerifyResult],
    *,
    commit: bool = False,
    chunk_size: int = 4,
    author: tuple[str, str] | None = None,
    fix_index_keys: bool = True,
) -> Gated:
    """One DAL through the gate; the verifier's and implement's exceptions propagate."""
    (out,) = gate_many(
        [Path(path)],
        lambda paths: [verify(p) for p in paths],
        commit=commit,
        chunk_size=chunk_size,
        author=author,
        fix_index_keys=fix_index_keys,
    )
    if isinstance(out, BaseException):
        raise out
    return out


def gate_many(
    paths: Sequence[Path],
    verify: BatchVerifier,
    *,
    commit: bool = False,
    chunk_size: int = 4,
    author: tuple[str, str] | None = None,
    fix_index_keys: bool = True,
) -> list[Any]:
    """Every DAL through the gate, each round's verifications in one batch; per DAL (in
    order) its `Gated`, or its failure (nothing of it written or committed)."""
    dals = []
    for p in paths:
        root = Path(p).resolve()
        # entities.py: the index-key repair writes it (and commits it on its own)
        files = (*FILE_ORDER, USAGE, index_keys.FILE)
        dals.append(_Dal(root, snapshot([root / f for f in files])))
    try:
        pending = dals
        while pending:

            def trial(d: _Dal) -> None:
                d.restore()
                _implement(d, commit=False, fix_index_keys=fix_index_keys)

            _verify(pending, verify, take_out=True, prepare=trial)
            pending = [d for d in pending if d.failure is None and d.again]
        if commit:
            for d in dals:
                if d.failure is None:
                    d.restore()
                    _implement(
                        d,
                        commit=True,
                        chunk_size=chunk_size,
                        author=author,
                        fix_index_keys=fix_index_keys,
                    )
                    d.committed = d.failure is None
        stale = [d for d in dals if d.failure is None and not d.verified.same_as_disk()]
        _verify(stale, verify, take_out=False)
    except BaseException:
        for d in dals:
            d.restore()
        raise
    out = []
    for d in dals:
        if d.failure is not None:
            d.restore()
            out.append(d.failure)
        else:
            out.append(Gated(d.implemented, d.result, d.runs))
    return out


def _implement(d: _Dal, *, commit: bool, **kwargs) -> None:
    try:
        d.implemented = implement_dal(d.path, commit=commit, exclude=d.excluded, **kwargs)
    except (BadInput, InfrastructureError) as e:
        d.failure = e


def _verify(
    dals: list[_Dal],
    verify: BatchVerifier,
    *,
    take_out: bool,
    prepare: Callable[[_Dal], None] | None = None,
) -> None:
    """Verify `dals` in one batch; `prepare` (implement) runs on each just before it is handed
    to the verifier, so the first DALs run while the next ones are implemented."""
    if not dals:
        return
    sent: list[tuple[_Dal, Snapshot]] = []

    def paths() -> Iterator[Path]:
        for d in dals:
            if prepare is not None:
                prepare(d)
            if d.failure is None:
                sent.append((d, snapshot(list(d.original.files))))
                yield d.path

    results = verify(paths())
    for (d, files), result in zip(sent, results, strict=True):
        d.runs += 1
        if not isinstance(result, VerifyResult):
            d.failure = result
            continue
        d.result, d.verified = result, files
        raised = _raised(d.implemented, result, d.excluded) if take_out else {}
        d.excluded |= raised
        d.again = bool(raised)


def _raised(
    trial: ImplementResult, result: VerifyResult, excluded: dict[tuple[str, str], str]
) -> dict[tuple[str, str], str]:
    """Methods this run wrote whose own call raised, or that returned a set their condition
    does not describe (`wrong`): (owner, method) -> 'raised <exception>' / 'wrong: <why>'."""
    written = {(m.owner, m.name) for m in trial.implemented}
    out: dict[tuple[str, str], str] = {}
    for p in result.patterns:
        key = (p.owner, p.method)
        if key not in written or key in excluded:
            continue
        if p.raised:
            out.setdefault(key, f'raised {p.raised}')
        elif p.status == 'wrong':
            out.setdefault(key, f'wrong: {p.message}')
    return out
