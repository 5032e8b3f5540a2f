"""Every operation template is valid Python: checked where a template can change.

    python -m bot.implement.template_check [FOLDER]

Run by the tests and at the image build, never by `implement` (importing libcst would cost
that command a third of its start-up). A template is the first argument of a
`statements(...)` call in bot/implement (FOLDER: another copy of it): a string, an
f-string, or a name its function binds to those. An f-string's `{expression}` stands for
each of its values when they are strings in the source (`{'a' if x else ''}`), else for
a name. Each template is parsed by libcst with its placeholders as names (a template is
statements of a method body: `return` is fine there, so no `compile`). Exit 1 lists every
broken or unreadable template with its file and line and libcst's message.
"""

from __future__ import annotations

import ast
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path

import libcst

from bot.implement._context import checkable

HERE = Path(__file__).resolve().parent
VALUE = '__tpl_value__'  # what an f-string's `{expression}` becomes when not a source string


@dataclass(frozen=True)
class Template:
    file: Path
    line: int  # where the template's text starts
    text: str


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f'{self.file}:{self.line}: {self.message}'


Bound = dict[str, list[ast.expr]]  # name -> the values its function assigns, in source order


def _texts(node: ast.expr, bound: Bound) -> list[tuple[int, str]] | None:
    """Every text the expression can be (with the line it starts on), None when the source
    does not say."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [(node.lineno, node.value)]
    if isinstance(node, ast.IfExp):
        body, orelse = _texts(node.body, bound), _texts(node.orelse, bound)
        return None if body is None or orelse is None else body + orelse
    if isinstance(node, ast.Name) and bound.get(node.id):
        out = []
        for i, value in enumerate(bound[node.id]):  # `a = f'if c:\n    {a}'`: the earlier a
            texts = _texts(value, {**bound, node.id: bound[node.id][:i]})
            if texts is None:
                return None
            out += texts
        return out
    if isinstance(node, ast.JoinedStr):
        pieces = []
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                pieces.append([t for _, t in _texts(part.value, bound) or [(0, VALUE)]])
            else:
                pieces.append([part.value])
        return [(node.lineno, ''.join(p)) for p in itertools.product(*pieces)]
    return None


def _assigned(scope: ast.AST) -> Bound:
    assigns = sorted(
        (n for n in ast.walk(scope) if isinstance(n, ast.Assign | ast.AnnAssign) and n.value),
        key=lambda n: (n.lineno, n.col_offset),
    )
    bound: Bound = {}
    for a in assigns:
        for target in a.targets if isinstance(a, ast.Assign) else [a.target]:
            if isinstance(target, ast.Name):
                bound.setdefault(target.id, []).append(a.value)
    return bound


def _is_statements_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call) or not node.args:
        return False
    func = node.func
    return (func.id if isinstance(func, ast.Name) else getattr(func, 'attr', '')) == 'statements'


def templates(folder: Path = HERE) -> tuple[list[Template], list[Problem]]:
    """Every template under the folder, and the calls whose template the source does not
    show (a template built at run time cannot be checked: that is a problem too)."""
    found: list[Template] = []
    problems: list[Problem] = []
    for path in sorted(folder.rglob('*.py')):
        tree = ast.parse(path.read_text(encoding='utf-8'), str(path))
        module = _assigned(tree)
        scope_of: dict[ast.Call, ast.AST] = {}
        for scope in ast.walk(tree):  # outer scopes first: the innermost one is kept
            if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                for node in ast.walk(scope):
                    if _is_statements_call(node):
                        scope_of[node] = scope
        calls = [n for n in ast.walk(tree) if _is_statements_call(n)]
        for call in calls:
            bound = {**module, **(_assigned(scope_of[call]) if call in scope_of else {})}
            texts = _texts(call.args[0], bound)
            if texts is None:
                problems.append(
                    Problem(
                        path,
                        call.lineno,
                        f'template {ast.unparse(call.args[0])!r} is not in the source: '
                        'write it as a string or f-string (or a name bound to one)',
                    )
                )
                continue
            found += [Template(path, line, text) for line, text in texts]
    return found, problems


def check(template: Template) -> Problem | None:
    try:
        libcst.parse_module(checkable(template.text))
    except libcst.ParserSyntaxError as e:
        text = template.text.strip('\n')
        skipped = template.text.index(text[:1])  # the blank lines before it, which dedent drops
        return Problem(  # the line the template starts on; libcst's position counts from it
            template.file,
            template.line + skipped,
            f'template is not valid Python: {e.message}\n{text}',
        )
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    found, broken = templates(Path(argv[0]) if argv else HERE)
    broken += [p for t in found if (p := check(t)) is not None]
    first: dict[tuple[Path, int], Problem] = {}
    for problem in broken:  # an f-string's variants break together: one line each place
        first.setdefault((problem.file, problem.line), problem)
    for problem in first.values():
        print(problem, file=sys.stderr)
    print(f'{len(found)} templates checked, {len(first)} broken')
    return 1 if first else 0


if __name__ == '__main__':
    sys.exit(main())
