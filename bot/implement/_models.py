"""What `implement` hands to the stages after it."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from bot.commit import CommitInfo


class ImplementedMethod(BaseModel):
    file: str
    owner: str
    name: str
    pattern_id: int | None
    operation: str
    line: int
    # `inferred from names: ...`, one per reading of the stub its names alone decided
    inferred: list[str] = []


class LeftStub(BaseModel):
    """A stub the bot did not implement, and why (never guessed)."""

    file: str
    owner: str
    name: str
    pattern_id: int | None
    line: int
    reason: str


class NotPushed(BaseModel):
    """A stub the bot implemented but took out again: its body raised during verification.
    The stub stays byte-identical; `diff` is the attempted body against the files as written
    (paths from the repository root when committing, else from the DAL folder) for a human to
    take from there."""

    file: str
    owner: str
    name: str
    pattern_id: int | None
    operation: str
    line: int
    reason: str  # 'raised <Type>: <message>'
    diff: str
    inferred: list[str] = []  # what the attempt read from names alone


class IndexKeyAdded(BaseModel):
    """A GSI key attribute the generated create()/update() left out, now a computed field."""

    entity: str
    attribute: str  # the item attribute, e.g. status_pk
    index: str
    part: str  # 'pk' or 'sk'
    template: str  # e.g. STATUS#{status}
    line: int  # of the new member in entities.py
    patterns: list[int] = []  # the access patterns that read this index of this entity
    writers: list[int] = []  # patterns whose own code may write the key (puts, updates)


class ImplementResult(BaseModel):
    dal: Path
    implemented: list[ImplementedMethod] = []
    left: list[LeftStub] = []
    not_pushed: list[NotPushed] = []  # taken out by the verification gate (bot.gate)
    usage_repairs: list[str] = []  # one line per repaired call site / block in usage_examples.py
    index_keys: list[IndexKeyAdded] = []  # the index-key repair (its own commit)
    index_keys_left: list[str] = []  # built keys it could not add, and why
    files_written: list[str] = []
    commits: list[CommitInfo] = []
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return 1 if self.left or self.not_pushed else 0
