"""Who runs the DAL's code. As root (always, in the action's container) it runs as an
unprivileged user instead, so it cannot read the bot's `/proc/<pid>/environ` (the token the
runner passed in `INPUT_GITHUB-TOKEN`), `.git/config` or the job's files.

What that user gets: a read-only copy of the DAL folder (regular files and directories only;
symlinks are copied as links, never followed, so a link to `/proc/1/environ` stays unreadable),
a private HOME and TMPDIR, the uv cache, and the loopback DynamoDB endpoint. The directories of
the job that other users could read (the workspace, HOME, the event and file-command folders,
RUNNER_TEMP) lose their permissions for others while it runs and get them back afterwards.

As another user (outside a container) nothing changes: the code runs as that user, in place.
`DAL_BOT_SANDBOX=require` (set in the image) makes a sandbox that cannot be set up an error;
otherwise (`auto`) the bot says why and runs the code as itself.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import InfrastructureError

USER = 'nobody'
FALLBACK_ID = 65534
MODE_ENV = 'DAL_BOT_SANDBOX'
# Job files a later step or the runner owns: their folders are closed to others during the run.
JOB_PATH_VARS = (
    'GITHUB_WORKSPACE',
    'HOME',
    'GITHUB_EVENT_PATH',
    'GITHUB_OUTPUT',
    'GITHUB_ENV',
    'GITHUB_PATH',
    'GITHUB_STATE',
    'GITHUB_STEP_SUMMARY',
    'RUNNER_TEMP',
)


@dataclass
class Sandbox:
    """Where and as whom the script runs. `uid` None: as the bot itself, in place."""

    cwd: Path
    uid: int | None = None
    gid: int | None = None
    env: dict[str, str] = field(default_factory=dict)  # overrides for the child's environment
    original: Path | None = None  # the DAL folder `cwd` is a copy of

    @property
    def user(self) -> tuple[int, int] | None:
        return None if self.uid is None or self.gid is None else (self.uid, self.gid)

    def popen_args(self) -> dict:
        return run_as(self.user)

    def unmask(self, text: str) -> str:
        """Paths of the copy in the script's output, named as the DAL folder they copy."""
        if self.original is None:
            return text
        return text.replace(str(self.cwd), str(self.original))


def run_as(user: tuple[int, int] | None) -> dict:
    """`subprocess.Popen` arguments that start a process as `user` (uid, gid; None: as the
    bot), with no other group and files private to it."""
    if user is None:
        return {}
    return {'user': user[0], 'group': user[1], 'extra_groups': [], 'umask': 0o077}


def sandbox_ids() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam(USER)
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return FALLBACK_ID, FALLBACK_ID


def _can(path: Path, uid: int, gid: int, want: int) -> bool:
    """Whether uid:gid (no supplementary groups) has `want` (bits of 0o7) on `path`."""
    try:
        st = path.stat()
    except OSError:
        return False
    if st.st_uid == uid:
        bits = st.st_mode >> 6
    elif st.st_gid == gid:
        bits = st.st_mode >> 3
    else:
        bits = st.st_mode
    return bits & want == want


def reachable(path: Path | str, uid: int, gid: int, want: int = 0o5) -> bool:
    """`path` (and what it resolves to) is reachable by uid:gid: every parent searchable,
    the file itself with `want`."""
    for candidate in {Path(os.path.abspath(path)), Path(os.path.realpath(path))}:
        if not all(_can(p, uid, gid, 0o1) for p in candidate.parents):
            return False
        if not _can(candidate, uid, gid, want):
            return False
    return True


def _copy_dal(src: Path, dest: Path) -> None:
    """Regular files and folders, readable by all, writable by none but root; symlinks as
    links (never followed: the bot would read their target as root); nothing else."""
    dest.mkdir()
    os.chmod(dest, 0o755)  # whatever the bot's umask
    for entry in os.scandir(src):
        target = dest / entry.name
        if entry.name == '__pycache__':
            continue
        if entry.is_symlink():
            os.symlink(os.readlink(entry.path), target)
        elif entry.is_dir(follow_symlinks=False):
            _copy_dal(Path(entry.path), target)
        elif entry.is_file(follow_symlinks=False):
            shutil.copyfile(entry.path, target, follow_symlinks=False)
            os.chmod(target, 0o644)


def _private_dir(path: Path, uid: int, gid: int) -> Path:
    """A folder only uid may use. An existing one must be a real folder already uid's (in a
    shared /tmp someone could plant a link to make root give away another folder)."""
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        st = path.lstat()
        if not stat.S_ISDIR(st.st_mode) or st.st_uid not in (uid, 0):
            raise InfrastructureError(
                f'{path} exists and is not a folder of the sandbox user {uid}: remove it'
            ) from None
    os.lchown(path, uid, gid)
    os.chmod(path, 0o700)
    return path


def _uv_cache(uid: int, gid: int, env: dict[str, str]) -> Path:
    """The uv cache the sandbox user can write: $UV_CACHE_DIR when it is that user's (the
    image's, warmed at build time), else one of its own that lasts across runs."""
    configured = env.get('UV_CACHE_DIR')
    if configured and Path(configured).is_dir() and Path(configured).stat().st_uid == uid:
        return Path(configured)
    return _private_dir(Path(tempfile.gettempdir()) / f'dal-bot-uv-cache-{uid}', uid, gid)


def job_dirs(env: Mapping[str, str], extra: Iterable[Path] = ()) -> list[Path]:
    """The folders of the job's files named by `env` (the workspace, HOME, the event and
    file-command folders, RUNNER_TEMP)."""
    dirs = []
    for name in JOB_PATH_VARS:
        value = env.get(name)
        if value:
            path = Path(value)
            dirs.append(path if path.is_dir() else path.parent)
    dirs += list(extra)
    return [d.resolve() for d in dirs if d.is_dir()]


def _is_within(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


# Folders closed now, by any run of this process (verify_many runs several at once): the mode
# to give back, and how many runs need it closed. The last run out restores it.
_CLOSED: dict[Path, list[int]] = {}
_CLOSED_LOCK = threading.Lock()


@contextlib.contextmanager
def _closed_to_others(dirs: Sequence[Path], needed: Sequence[Path], gid: int) -> Iterator[None]:
    """Remove the permissions of others (and of the sandbox's group) on `dirs` for the
    duration; their exact modes come back afterwards. A folder the sandbox must traverse
    (an ancestor of what it needs) is left alone."""
    mine: list[Path] = []
    try:
        with _CLOSED_LOCK:
            for d in dict.fromkeys(dirs):
                if any(_is_within(n, d) for n in needed) or d == Path('/'):
                    continue
                if d in _CLOSED:
                    _CLOSED[d][1] += 1
                    mine.append(d)
                    continue
                st = d.stat()
                mode = stat.S_IMODE(st.st_mode)
                closed = mode & ~0o007 & ~(0o070 if st.st_gid == gid else 0)
                if closed != mode:
                    os.chmod(d, closed)
                    _CLOSED[d] = [mode, 1]
                    mine.append(d)
        yield
    finally:
        with _CLOSED_LOCK:
            for d in reversed(mine):
                entry = _CLOSED[d]
                entry[1] -= 1
                if entry[1] == 0:
                    del _CLOSED[d]
                    with contextlib.suppress(OSError):
                        os.chmod(d, entry[0])


def _mode(env: dict[str, str]) -> str:
    mode = env.get(MODE_ENV, 'auto').strip().lower() or 'auto'
    if mode not in ('auto', 'require'):
        raise InfrastructureError(f"{MODE_ENV} must be 'auto' or 'require', got {mode!r}")
    return mode


_SAID: set[str] = set()


def _log(message: str) -> None:
    """Once per process: many DALs in one call would repeat the same warning for each run."""
    if message not in _SAID:
        _SAID.add(message)
        print(f'dal-bot: {message}', file=sys.stderr, flush=True)


def sandbox_user(
    executables: Sequence[str], workdir: Path, env: Mapping[str, str] | None = None
) -> tuple[int, int] | None:
    """(uid, gid) the DAL's code runs as: the sandbox user's as root, None (as the bot) when
    not root, or when that user cannot run `executables` or reach `workdir` (an error under
    DAL_BOT_SANDBOX=require)."""
    mode = _mode(dict(os.environ if env is None else env))
    if os.geteuid() != 0:
        return None
    uid, gid = sandbox_ids()
    unreachable = [e for e in executables if not reachable(e, uid, gid)]
    if not all(_can(p, uid, gid, 0o1) for p in workdir.resolve().parents):
        unreachable.append(f'anything in {workdir}')
    if unreachable:
        why = (
            f'the sandbox user {USER} ({uid}) cannot run {", ".join(unreachable)} '
            '(a folder on the way is closed to other users)'
        )
        if mode == 'require':
            raise InfrastructureError(f'{why}; {MODE_ENV}=require')
        _log(f'{why}: running the DAL code as root, the token guard is weaker')
        return None
    return uid, gid


def private_env(
    folder: Path, uid: int, gid: int, executables: Sequence[str], env: Mapping[str, str]
) -> dict[str, str]:
    """The sandbox user's HOME and TMPDIR (private folders in `folder`) and, under uv, its cache."""
    home = _private_dir(folder / 'home', uid, gid)
    tmp = _private_dir(folder / 'tmp', uid, gid)
    out = {'HOME': str(home), 'TMPDIR': str(tmp), 'XDG_CACHE_HOME': str(home / '.cache')}
    if any(Path(e).name == 'uv' for e in executables):
        out['UV_CACHE_DIR'] = str(_uv_cache(uid, gid, dict(env)))
    return out


@contextlib.contextmanager
def sandbox(
    dal_dir: Path,
    workdir: Path,
    executables: Sequence[str],
    *,
    protect: Iterable[Path] = (),
    env: dict[str, str] | None = None,
) -> Iterator[Sandbox]:
    """The Sandbox to run the DAL's code in. `workdir` is the run's private folder (launcher,
    trace); `executables` what the command runs (they must be reachable by the sandbox
    user); `protect` more folders to close to others while it runs (the job's, from the
    action's context)."""
    env = dict(os.environ if env is None else env)
    dal_dir = dal_dir.resolve()
    user = sandbox_user(executables, workdir, env)
    if user is None:
        yield Sandbox(cwd=dal_dir)
        return
    uid, gid = user

    # the sandbox reads the launcher and its module (imports list the folder); its own
    # HOME and TMPDIR inside are private
    os.chmod(workdir, 0o755)
    trace = workdir / 'trace.jsonl'  # the launcher appends to it
    if trace.exists():
        os.chown(trace, uid, gid)
    copy = workdir / 'dal.copy'
    _copy_dal(dal_dir, copy)
    overrides = private_env(workdir, uid, gid, executables, env)
    needed = [workdir, *(Path(os.path.realpath(e)) for e in executables)]
    needed += [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]
    needed += [Path(overrides['UV_CACHE_DIR']).resolve()] if 'UV_CACHE_DIR' in overrides else []
    repo = next((p for p in (dal_dir, *dal_dir.parents) if (p / '.git').exists()), None)
    protect = [*protect, *([repo] if repo else [])]  # its .git/config may hold a token
    with _closed_to_others(job_dirs(env, protect), needed, gid):
        yield Sandbox(cwd=copy, uid=uid, gid=gid, env=overrides, original=dal_dir)
