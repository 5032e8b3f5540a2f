"""Find DAL folders under a root and decide which of them a set of changed paths touched."""

from __future__ import annotations

import os
from collections.abc import Iterable
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from bot.files import REQUIRED_FILES

SKIP_DIRS = frozenset(
    {
        '.git',
        'node_modules',
        '.venv',
        'venv',
        '__pycache__',
        '.tox',
        '.nox',
        '.mypy_cache',
        '.ruff_cache',
        '.pytest_cache',
        'site-packages',
    }
)


def _skipped(dirpath: str, name: str) -> bool:
    if name in SKIP_DIRS:
        return True
    # any virtualenv, whatever its name
    return os.path.isfile(os.path.join(dirpath, name, 'pyvenv.cfg'))


def find_dals(root: Path | str, paths: str | Iterable[str] = '**') -> list[str]:
    """Every generated DAL folder under `root` (any depth), relative POSIX paths, sorted.

    A DAL folder holds repositories.py, entities.py and base_repository.py. `.git`,
    `node_modules` and virtualenvs are skipped; symlinked folders are not followed.
    `paths` filters the result (see `matches`).
    """
    root = Path(root)
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not _skipped(dirpath, d))
        if all(f in filenames for f in REQUIRED_FILES):
            rel = Path(dirpath).relative_to(root).as_posix()
            found.append(rel)
    return select(sorted(found), paths)


def dal_dirs(paths: Iterable[Path | str]) -> list[Path]:
    """The DAL folders that command-line PATHs name, in order, each once.

    A PATH that is a DAL folder is itself; a folder with DALs below it stands for those (found
    as `find_dals` finds them); anything else is kept as it is, so loading it reports what is
    missing.
    """
    out: list[Path] = []
    for path in map(Path, paths):
        is_dal = all((path / f).is_file() for f in REQUIRED_FILES)
        below = [] if is_dal or not path.is_dir() else find_dals(path)
        for dal in [path / d for d in below] if below else [path]:
            if dal not in out:
                out.append(dal)
    return out


def _patterns(paths: str | Iterable[str]) -> list[str]:
    if isinstance(paths, str):
        paths = paths.splitlines()
    return [p.strip().strip('/') or '**' for p in paths if p.strip()] or ['**']


def matches(dal: str, paths: str | Iterable[str] = '**') -> bool:
    """Does the DAL folder path match the glob filter?

    `paths` is one glob or several (a list, or one per line); fnmatch semantics on the
    folder path relative to the repository root (`*` also matches `/`), so `**` matches
    everything and `services/*/generated_dal` every service's DAL. An exact path matches
    itself even when it contains glob characters.
    """
    return any(dal == p or fnmatchcase(dal, p) for p in _patterns(paths))


def select(dals: Iterable[str], paths: str | Iterable[str] = '**') -> list[str]:
    return [d for d in dals if matches(d, paths)]


def touched_dals(dals: Iterable[str], changed: Iterable[str]) -> list[str]:
    """The DALs a change touched, in the order of `dals`.

    A DAL is touched when a changed path is inside its folder, or is the `schema.json`
    beside it (in its parent folder), where the generator's input usually lives.
    """
    changed_paths = [PurePosixPath(c.strip().lstrip('/')) for c in changed if c.strip()]
    touched = []
    for dal in dals:
        folder = PurePosixPath(dal)
        schema = folder.parent / 'schema.json'
        for path in changed_paths:
            if path == schema or folder in path.parents or folder == PurePosixPath('.'):
                touched.append(dal)
                break
    return touched
