"""The typed result of one `verify` run (what `bot.report` renders)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Status = Literal['ok', 'empty', 'wrong', 'error', 'unsupported', 'not-run']
STATUSES: tuple[str, ...] = Status.__args__  # type: ignore[attr-defined]
Runner = Literal['uv', 'python']


class PatternResult(BaseModel):
    """The verdict on one access pattern, from the calls the launcher observed."""

    id: int
    description: str = ''
    owner: str  # repository class or TransactionService
    method: str
    operation: str | None = None
    index_name: str | None = None
    status: Status
    message: str = ''
    seconds: float = 0.0  # time spent inside the method (sum over the judged calls)
    calls: int = 0  # how many calls the verdict is based on
    evidence: Literal['call', 'output', 'none'] = 'none'
    # `wrong`: items the pattern's condition selects that did not come back, and the reverse.
    missing: list[str] = []
    extra: list[str] = []
    # Cost from DynamoDB's sizing rules (None: no call observed).
    rcu: float | None = None
    wcu: float | None = None
    items_read: int | None = None
    items_returned: int | None = None
    flags: list[str] = []
    # The exception the method's own body raised (`Type: message`); None when it did not
    # raise (returned, timed out, a call-site TypeError, an error printed after it returned).
    raised: str | None = None
    # Why it is empty, when known (also the end of `message`); the markdown groups equal ones.
    cause: str = ''

    @property
    def ok(self) -> bool:
        return self.status == 'ok'


class EngineGap(BaseModel):
    """A DynamoDB feature the engine behind the endpoint lacks (not the DAL's fault)."""

    feature: str  # e.g. 'multi-attribute GSI keys', 'transactions'
    message: str  # 'this endpoint has no ... (DynamoDB Local >= x.y.z)'
    indexes: list[str] = []  # 'Table.Index' created without: the engine refused them
    operations: list[str] = []  # API operations it answered with UnknownOperationException
    detail: str = ''  # the engine's own words


class CrudError(BaseModel):
    """A `❌ Failed to ...` line printed by the script outside the access-pattern blocks."""

    action: str  # e.g. 'create customer'
    message: str = ''
    line: int = 0  # line number in the captured stdout


class Durations(BaseModel):
    backend: float = 0.0  # start the embedded server / forwarder, probe the endpoint
    tables: float = 0.0  # drop, create, wait until ACTIVE
    run: float = 0.0  # the usage_examples.py process
    parse: float = 0.0  # trace + output -> verdicts
    cleanup: float = 0.0  # delete tables, stop the backend
    total: float = 0.0


class VerifyResult(BaseModel):
    dal: str  # the DAL directory, as given
    backend: str  # e.g. 'embedded moto 5.2.0 on http://127.0.0.1:40123'
    endpoint: str  # the URL the script was given (always loopback)
    runner: Runner
    command: list[str] = []
    tables: list[str] = []
    patterns: list[PatternResult] = []
    crud_errors: list[CrudError] = []
    engine_gaps: list[EngineGap] = []  # why patterns are `unsupported`
    crash: str | None = None  # traceback of an uncaught exception, or the timeout text
    timed_out: bool = False
    returncode: int | None = None
    forked: bool = False  # the run's process came from the warm interpreter (bot.verify._spawn)
    durations: Durations = Durations()
    stdout: str = ''
    stderr: str = ''

    @property
    def ok(self) -> bool:
        """Every access pattern ok and the script neither crashed nor timed out."""
        return self.crash is None and all(p.ok for p in self.patterns)

    @property
    def exit_code(self) -> int:
        """0 all ok; 2 when nothing could run (every pattern unsupported by the engine); else 1."""
        if self.ok:
            return 0
        if self.patterns and all(p.status == 'unsupported' for p in self.patterns):
            return 2
        return 1

    def counts(self) -> dict[str, int]:
        """How many patterns have each status (every status present, in a fixed order)."""
        out = dict.fromkeys(STATUSES, 0)
        for p in self.patterns:
            out[p.status] += 1
        return out
