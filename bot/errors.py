"""Errors that reach the user as one clear line naming the file (and line)."""

from __future__ import annotations

from pathlib import Path


class BadInput(Exception):
    """The input is not something the bot can work on. Exit code 2."""

    def __init__(self, path: Path | str, message: str, line: int | None = None):
        self.path = Path(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f'{self.path}:{self.line}' if self.line else f'{self.path}'
        return f'{where}: {self.message}'


class InfrastructureError(Exception):
    """Something the bot needs around the DAL failed (port, endpoint, git, GitHub). Exit code 2."""
