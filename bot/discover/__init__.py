"""discover: which folders are generated DALs, and which of them a change touched.

Pure functions over paths (`find_dals`, `touched_dals`, `select`) plus one thin git edge
(`changed_files`). Paths are POSIX strings relative to the repository root.
"""

from bot.discover._find import SKIP_DIRS, dal_dirs, find_dals, matches, select, touched_dals
from bot.discover._git import changed_files

__all__ = [
    'SKIP_DIRS',
    'changed_files',
    'dal_dirs',
    'find_dals',
    'matches',
    'select',
    'touched_dals',
]
