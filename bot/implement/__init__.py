"""implement: every stub of a DAL becomes code, chosen per operation from the model.

`implement_dal` is the stage's one entry point. It never touches a method that is not a
stub, leaves (and lists) any stub it cannot map, and writes each file only whole and
compiled.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot import pysource
from bot.commit import chunks, commit_files, open_repo
from bot.errors import BadInput
from bot.files import compile_check, write_atomic
from bot.implement import index_keys
from bot.implement._context import Rendered, Stub, Unmappable
from bot.implement._format import BODY_INDENT, Ruff, format_bodies
from bot.implement._models import (
    CommitInfo,
    ImplementedMethod,
    ImplementResult,
    LeftStub,
    NotPushed,
)
from bot.implement._names import Names, undefined_names
from bot.implement._splice import Key, add_imports, splice_bodies
from bot.implement.operations import TEMPLATES
from bot.implement.usage import plan_usage
from bot.model import Dal, Method, ParsedModule, read_dal

if TYPE_CHECKING:
    import git  # only for annotations: without --commit gitpython is never imported

__all__ = [
    'CommitInfo',
    'ImplementResult',
    'ImplementedMethod',
    'LeftStub',
    'NotPushed',
    'implement_dal',
    'plan',
]

FILE_ORDER = ('repositories.py', 'transaction_service.py')


@dataclass
class Planned:
    method: Method
    pattern_id: int | None
    operation: str
    rendered: Rendered
    inferred: list[str]  # labels of what the model read from names alone

    @property
    def key(self) -> Key:
        return (self.method.owner, self.method.name)


def plan(dal: Dal) -> tuple[list[Planned], list[LeftStub]]:
    """Render every stub; the ones that cannot be mapped are left, with the reason."""
    planned, left = [], []
    names = Names(dal)
    stubs = sorted(dal.stubs, key=lambda m: (FILE_ORDER.index(m.file), m.line))
    for method in stubs:
        pattern = next(
            (p for p in dal.patterns if p.owner == method.owner and p.method == method.name), None
        )
        pid = pattern.id if pattern else (method.hint.pattern_id if method.hint else None)
        try:
            if pattern is None:
                raise Unmappable('no access pattern describes this stub')
            if pattern.operation is None:
                raise Unmappable(f'unknown operation {pattern.raw_operation!r}')
            rendered = TEMPLATES[pattern.operation](Stub(dal=dal, method=method, pattern=pattern))
            undefined = undefined_names(dal, method, rendered.code, names)
            if undefined:
                raise Unmappable(
                    'the body would use what this DAL does not define: ' + '; '.join(undefined)
                )
            inferred = [i.label for i in pattern.inferred]
            planned.append(Planned(method, pid, pattern.operation, rendered, inferred))
        except Unmappable as e:
            left.append(
                LeftStub(
                    file=method.file,
                    owner=method.owner,
                    name=method.name,
                    pattern_id=pid,
                    line=method.line,
                    reason=str(e),
                )
            )
    return planned, left


def commit_message(dal_dir: Path, repo_root: Path | None, chunk: list[Planned]) -> str:
    where = dal_dir.relative_to(repo_root) if repo_root else dal_dir.name
    owners = ', '.join(dict.fromkeys(p.method.owner for p in chunk))
    # `#3` in a commit message links (and cross-references) issue 3 of the repository on
    # GitHub: patterns are named `access patterns 1, 2` / `AP 3` instead.
    ids = ', '.join(str(p.pattern_id) for p in chunk)
    noun = 'access pattern' if len(chunk) == 1 else 'access patterns'
    lines = [f'dal-bot: implement {noun} {ids} in {owners}', '']
    for p in chunk:
        lines.append(f'- {p.method.owner}.{p.method.name}: AP {p.pattern_id} {p.operation}')
        lines += [f'  {label}' for label in p.inferred]
    lines += ['', f'DAL: {where}']
    return '\n'.join(lines)


def _apply_chunk(
    dal_dir: Path,
    texts: dict[str, str],
    bodies: dict[Key, str],
    chunk: list[Planned],
    trees: Mapping[str, ast.Module] | None = None,
) -> dict[str, str]:
    """New text of every file the chunk touches: bodies placed, imports added, compiled
    (`trees`: the ast of some of `texts`, as the model parsed them)."""
    out = {}
    for file in FILE_ORDER:
        mine = [p for p in chunk if p.method.file == file]
        if not mine:
            continue
        tree = (trees or {}).get(file) or pysource.parse(texts[file])
        code = splice_bodies(
            texts[file],
            {
                (p.method.owner, p.method.name): bodies[(p.method.owner, p.method.name)]
                for p in mine
            },
            BODY_INDENT,
            tree,
        )
        # Templates name the imports they may need; only those a body uses are added
        # (an unused one fails the DAL's own lint, F401).
        used = {
            (module, name)
            for p in mine
            for module, name in p.rendered.imports
            if re.search(rf'\b{re.escape(name)}\b', bodies[(p.method.owner, p.method.name)])
        }
        code = add_imports(code, used, tree)
        compile_check(dal_dir / file, code)
        out[file] = code
    return out


def _not_pushed(
    dal_dir: Path,
    where: str,
    texts: dict[str, str],
    bodies: dict[Key, str],
    p: Planned,
    reason: str,
    trees: Mapping[str, ast.Module],
) -> NotPushed:
    """A stub taken out, with the attempted body as a unified diff against the file as
    written (`git apply` takes it from the repository root, `where` being the DAL's path)."""
    text = texts[p.method.file]
    new = _apply_chunk(dal_dir, texts, bodies, [p], trees)[p.method.file]
    path = f'{where}/{p.method.file}' if where else p.method.file
    diff = difflib.unified_diff(
        text.splitlines(keepends=True), new.splitlines(keepends=True), f'a/{path}', f'b/{path}'
    )
    tree = trees.get(p.method.file) or pysource.parse(text)
    line = next(
        fn.lineno
        for cls in tree.body
        if isinstance(cls, ast.ClassDef) and cls.name == p.method.owner
        for fn in cls.body
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) and fn.name == p.method.name
    )
    return NotPushed(
        file=p.method.file,
        owner=p.method.owner,
        name=p.method.name,
        pattern_id=p.pattern_id,
        operation=p.operation,
        line=line,
        reason=reason,
        diff=''.join(diff),
        inferred=p.inferred,
    )


def index_keys_message(dal_dir: Path, repo_root: Path | None, result: ImplementResult) -> str:
    where = dal_dir.relative_to(repo_root) if repo_root else dal_dir.name
    lines = [
        'dal-bot: write the GSI key attributes that create() and update() leave out',
        '',
        "The generator's create() and update() write model_dump() plus pk/sk only, so an item",
        'they write never appears in a GSI keyed on a built attribute. Added to entities.py as',
        'pydantic computed fields, which model_dump() includes (left out while a field they are',
        'built from is None, so sparse indexes stay sparse):',
        '',
    ]
    lines += [
        f'- {a.entity}.{a.attribute} = {a.template!r} ({a.index})' for a in result.index_keys
    ]
    lines += ['', f'DAL: {where}']
    return '\n'.join(lines)


def _repair_index_keys(
    dal: Dal, entities: ParsedModule, result: ImplementResult, ruff: Ruff
) -> ParsedModule | None:
    """entities.py with the index-key repair, compiled, not yet written; None when it needs
    none."""
    repaired = index_keys.repair_index_keys(dal, entities, ruff)
    if repaired is None:
        return None
    new, result.index_keys, result.index_keys_left = repaired
    if not result.index_keys:
        return None
    compile_check(entities.path, new)
    return ParsedModule(entities.path, new, entities.newline, compiled=False)


def _write_index_keys(
    dal: Dal,
    entities: ParsedModule,
    repo: git.Repo | None,
    root: Path | None,
    author: tuple[str, str] | None,
    result: ImplementResult,
) -> None:
    """The index-key repair written, and committed on its own."""
    write_atomic(entities.path, entities.text, newline=entities.newline)
    result.files_written.append(index_keys.FILE)
    if repo is not None:
        message = index_keys_message(dal.path, root, result)
        info = commit_files(repo, [entities.path], message, author)
        if info:
            result.commits.append(info)


# Compiled once, as they will be written (or as they are, when nothing changes them): the
# model only parses them.
COMPILED_AS_WRITTEN = (*FILE_ORDER, 'usage_examples.py')


def _check_written(module: ParsedModule, text: str | None) -> None:
    """A module compiled as it will be written (`text`; None: unchanged). An error of the
    DAL's own is bad input, named at its own line (one inside what the bot rewrote goes with
    it); one the bot made is the bot's, a SyntaxError as compile_check raises it."""
    if text is None:
        _input_errors(module)
        return
    try:
        compile_check(module.path, text)
    except SyntaxError:
        _input_errors(module)
        raise


def _input_errors(module: ParsedModule) -> None:
    try:
        compile_check(module.path, module.tree)
    except SyntaxError as e:
        raise BadInput(module.path, f'syntax error: {e.msg}', e.lineno) from e


def implement_dal(
    path: Path | str,
    *,
    commit: bool = False,
    chunk_size: int = 4,
    author: tuple[str, str] | None = None,
    exclude: Mapping[Key, str] | None = None,
    fix_index_keys: bool = True,
) -> ImplementResult:
    """Implement every stub that can be mapped and write the files (one commit per chunk with
    `commit`). Stubs in `exclude` ((owner, method) -> reason) are rendered but not written:
    they stay byte-identical and are listed in `not_pushed` with the attempted body."""
    started = time.perf_counter()
    # Parsing makes many objects and no cycle (see gc_paused); the ruff processes started
    # ahead are stopped on the way out when nothing came to format.
    with pysource.gc_paused(), contextlib.ExitStack() as formatters:
        result = _implement(
            path, commit, chunk_size, author, exclude or {}, fix_index_keys, formatters
        )
    result.seconds = time.perf_counter() - started
    return result


def _implement(
    path: Path | str,
    commit: bool,
    chunk_size: int,
    author: tuple[str, str] | None,
    exclude: Mapping[Key, str],
    fix_index_keys: bool,
    formatters: contextlib.ExitStack,
) -> ImplementResult:
    # ruff starts while the DAL is read (a folder that is not one fails in read_dal).
    folder = Path(path).resolve()
    ruff = formatters.enter_context(Ruff(folder)) if folder.is_dir() else None
    # The files as the model read them: their texts and trees are what gets edited.
    dal, files = read_dal(path, compiled_later=COMPILED_AS_WRITTEN)
    repo = open_repo(dal.path) if commit else None
    root = Path(repo.working_tree_dir).resolve() if repo else None
    result = ImplementResult(dal=dal.path)
    entities = (
        _repair_index_keys(dal, files[index_keys.FILE], result, ruff) if fix_index_keys else None
    )
    if entities is not None:
        # The entities now write those keys: templates need not. Only entities.py changed.
        known = dict(files, **{index_keys.FILE: entities})
        dal, files = read_dal(path, known, compiled_later=COMPILED_AS_WRITTEN)
    if ruff.used:  # the index keys took it: another for the bodies, started while planning
        ruff = formatters.enter_context(Ruff(dal.path))
    planned, result.left = plan(dal)
    written = [f for f in FILE_ORDER if any(p.method.file == f for p in planned)]
    texts = {f: files[f].text for f in written}
    trees = {f: files[f].tree for f in written}  # of `texts` until a chunk rewrites them
    # The model from before implementing: stub comments still say range and index.
    usage_file = files.get('usage_examples.py')
    usage = plan_usage(dal, usage_file) if usage_file is not None and usage_file.text else None
    # Every new body and repaired usage section formatted in one ruff run (chunks then only
    # place them).
    bodies, usage_sections = format_bodies(
        {p.key: p.rendered.code for p in planned},
        dal.path,
        usage.methods if usage else [],
        ruff,
    )
    kept = [p for p in planned if p.key not in exclude]
    present = [f for f in FILE_ORDER if f in files]
    try:
        whole = _apply_chunk(dal.path, texts, bodies, kept, trees)  # every kept body placed
    except SyntaxError:
        for file in present:
            _input_errors(files[file])
        raise
    for file in present:
        if file not in whole:
            _input_errors(files[file])  # nothing placed in it: compiled as it is
    repaired = usage.result(usage_sections) if usage else None
    if usage_file is not None:
        _check_written(usage_file, repaired[0] if repaired else None)
    # Every input is read and checked: only now is anything written.
    if entities is not None:
        _write_index_keys(dal, entities, repo, root, author, result)
    # Chunks exist for the commits; without --commit the files are written once, whole.
    for chunk in chunks(kept, chunk_size) if repo is not None else [kept]:
        new = _apply_chunk(dal.path, texts, bodies, chunk, trees) if repo is not None else whole
        for file, code in new.items():
            write_atomic(dal.path / file, code, newline=files[file].newline)
            texts[file] = code
            trees.pop(file, None)
            if file not in result.files_written:
                result.files_written.append(file)
        result.implemented += [
            ImplementedMethod(
                file=p.method.file,
                owner=p.method.owner,
                name=p.method.name,
                pattern_id=p.pattern_id,
                operation=p.operation,
                line=p.method.line,
                inferred=p.inferred,
            )
            for p in chunk
        ]
        if repo is not None and new:
            info = commit_files(
                repo, [dal.path / f for f in new], commit_message(dal.path, root, chunk), author
            )
            if info:
                result.commits.append(info)
    # Against the files as written: where the stub is now, and a diff that applies there.
    where = dal.path.relative_to(root).as_posix() if root else '.'
    where = '' if where == '.' else where
    result.not_pushed = [
        _not_pushed(dal.path, where, texts, bodies, p, exclude[p.key], trees)
        for p in planned
        if p.key in exclude
    ]

    if repaired is not None:
        text, repairs = repaired
        write_atomic(usage_file.path, text, newline=usage_file.newline)
        result.usage_repairs = repairs
        result.files_written.append('usage_examples.py')
        if repo is not None:
            message = (
                'dal-bot: repair usage_examples.py so every access pattern is called\n\n'
                + '\n'.join(f'- {r}' for r in repairs)
            )
            info = commit_files(repo, [usage_file.path], message, author)
            if info:
                result.commits.append(info)
    return result
