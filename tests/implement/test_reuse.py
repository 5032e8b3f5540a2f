"""What implement does to be fast keeps its promises: the model it reuses is the model of the
files on disk, a broken file still fails before anything is written, and neither the formatter
it starts ahead nor the paused garbage collector outlives a call."""

from __future__ import annotations

import gc
import os
import threading
from pathlib import Path

import pytest

from bot.errors import BadInput
from bot.implement import implement_dal
from bot.model import load_dal, read_dal

from .conftest import copy_fixture


def _children() -> set[int]:
    """Processes (zombies included) whose parent is this one."""
    found = set()
    for stat in Path('/proc').glob('[0-9]*/stat'):
        try:
            fields = stat.read_text().rsplit(')', 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == os.getpid():
            found.add(int(stat.parent.name))
    return found


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob('*') if p.is_file()}


def test_the_model_read_again_with_known_modules_is_the_model_of_the_files(tmp_path):
    """After the index-key repair only entities.py is read again: the model built with the
    other modules as first parsed equals a fresh load of the folder."""
    dal_dir = copy_fixture('user_analytics', tmp_path)
    _, files = read_dal(dal_dir)
    result = implement_dal(dal_dir, fix_index_keys=True)
    assert result.index_keys, 'user_analytics needs the index-key repair'
    # Stubs are implemented now: compare against the stubs' files with only entities.py new.
    fresh = copy_fixture('user_analytics', tmp_path / 'fresh')
    (fresh / 'entities.py').write_bytes((dal_dir / 'entities.py').read_bytes())
    _, before = read_dal(fresh)
    known = {f: m for f, m in before.items() if f != 'entities.py'}
    reused, reread = read_dal(fresh, known)
    assert reused == load_dal(fresh)
    assert reread['repositories.py'] is known['repositories.py']
    assert reread['entities.py'].text == (fresh / 'entities.py').read_text()
    assert files['entities.py'].text != reread['entities.py'].text


@pytest.mark.parametrize('name', ['usage_examples.py', 'repositories.py'])
def test_a_module_that_does_not_compile_fails_before_anything_is_written(tmp_path, name):
    """The files implement rewrites are parsed by the model and compiled once, as they will
    be written: an error only the compiler sees ('return' outside a function) is still bad
    input, named at its own line, and nothing is written (not even the index-key repair)."""
    dal_dir = copy_fixture('user_analytics', tmp_path)
    module = dal_dir / name
    lines = module.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith(('import ', 'from ')))
    lines.insert(at, 'return 1\n')
    module.write_text(''.join(lines))
    before = _snapshot(tmp_path)
    with pytest.raises(BadInput, match=r"'return' outside function") as raised:
        implement_dal(dal_dir)
    assert str(raised.value).startswith(f'{module}:{at + 1}:')
    assert _snapshot(tmp_path) == before


def test_a_failing_call_leaves_no_formatter_running_and_the_collector_on(tmp_path):
    dal_dir = copy_fixture('shop_example', tmp_path)
    (dal_dir / 'repositories.py').write_text('def broken(:\n')
    children = _children()
    assert gc.isenabled()
    with pytest.raises(BadInput, match='repositories.py:1: syntax error'):
        implement_dal(dal_dir)
    assert _children() <= children, 'the ruff started ahead is still there'
    assert gc.isenabled()


def test_a_dal_with_nothing_to_do_stops_its_formatter(tmp_path):
    dal_dir = copy_fixture('shop_example', tmp_path)
    implement_dal(dal_dir)
    children = _children()
    again = implement_dal(dal_dir)
    assert not again.implemented and not again.files_written
    assert _children() <= children


def test_the_collector_is_left_as_the_caller_had_it():
    folder = Path(__file__).resolve().parents[1] / 'fixtures' / 'dals' / 'shop_example'
    gc.disable()
    try:
        with pytest.raises(BadInput):
            implement_dal(folder)  # the fixture, not its generated_dal: not a DAL
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_implements_on_threads_end_with_the_collector_on(tmp_path):
    """Two calls overlapping: the collector resumes when the last one ends, not the first."""
    dirs = [copy_fixture(name, tmp_path) for name in ('shop_example', 'audit_log')]
    results: list = []
    threads = [threading.Thread(target=lambda d=d: results.append(implement_dal(d))) for d in dirs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.implemented for r in results) and len(results) == 2
    assert gc.isenabled()


def test_base_repository_read_once_per_text_is_still_each_dals_own(tmp_path):
    """base_repository.py, the same in the DALs one generator wrote, is parsed once per
    process: a DAL whose copy differs still gets its own, and a broken one is bad input
    naming its own path."""
    same, changed, broken = (copy_fixture('shop_example', tmp_path / n) for n in 'abc')
    text = (same / 'base_repository.py').read_text()
    (changed / 'base_repository.py').write_text(text + '\n\ndef helper():\n    return 1\n')
    (broken / 'base_repository.py').write_text(text + '\nreturn 1\n')
    first, second = load_dal(same), load_dal(copy_fixture('shop_example', tmp_path / 'd'))
    assert first.classes == second.classes
    assert load_dal(changed).class_api('BaseRepository') == first.class_api('BaseRepository')
    _, files = read_dal(changed)
    assert any(getattr(n, 'name', None) == 'helper' for n in files['base_repository.py'].tree.body)
    assert files['base_repository.py'].path == changed / 'base_repository.py'
    line = text.count('\n') + 2
    with pytest.raises(BadInput, match=r"'return' outside function") as raised:
        load_dal(broken)
    assert str(raised.value).startswith(f'{broken / "base_repository.py"}:{line}:')
