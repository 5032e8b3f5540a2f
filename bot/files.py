"""Reading and writing the DAL's files: whole, compiled, never half-written.

`snapshot`/`Snapshot.restore` put files back byte for byte (the verification gate tries an
implementation, then restores the stubs before committing what passed).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot import pysource

# The files every generated DAL has: a folder holding them is a DAL (discover finds them, the
# model requires them).
REQUIRED_FILES = ('repositories.py', 'entities.py', 'base_repository.py')


def compile_check(path: Path, text: str) -> None:
    """Raise if `text` is not valid Python; nothing is written or committed then."""
    pysource.compile_checked(text, str(path))


def read_source(path: Path) -> tuple[str, str]:
    """A file's text with `\n` line ends, and the line end to write it back with: `\r\n`
    for a file that uses it throughout (a Windows checkout), else `\n`."""
    raw = path.read_bytes().decode('utf-8')
    return pysource.normalized(raw), newline_of(raw)


def newline_of(raw: str) -> str:
    """The line end to write a file back with, given its text as read: `\r\n` for a file
    that uses it throughout, else `\n`."""
    crlf = raw.count('\r\n')
    return '\r\n' if crlf and crlf == raw.count('\n') else '\n'


def write_atomic(path: Path, text: str, newline: str = '\n') -> None:
    """Write through a temp file and rename: never a half-written file. `text` has `\n`
    line ends; `newline` is what the file gets."""
    _replace(path, text.replace('\n', newline).encode('utf-8'))


def _replace(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Snapshot:
    """The bytes of some files (None: the file did not exist)."""

    files: dict[Path, bytes | None]

    def restore(self) -> None:
        for path, data in self.files.items():
            if data is None:
                path.unlink(missing_ok=True)
            elif not path.is_file() or path.read_bytes() != data:
                _replace(path, data)

    def same_as_disk(self) -> bool:
        """Every file holds exactly these bytes now."""
        return all(
            (path.read_bytes() if path.is_file() else None) == data
            for path, data in self.files.items()
        )


def snapshot(paths: list[Path]) -> Snapshot:
    return Snapshot({p: p.read_bytes() if p.is_file() else None for p in paths})
