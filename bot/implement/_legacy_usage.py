"""The older usage_examples.py template: its pattern blocks are comments. Bring them back.

Each block (`# Access Pattern #N: ...`, `# Index: ...`, `# Implementation: TODO ...`,
`# try:` ... `# except ...`) becomes a live block in the current template's form: it
prints `🔍 Testing Access Pattern #N`, the call's result, and errors with the ❌ marker.
Placeholder variables (`since_date = ""`) are inlined so the call repair can give them
values that hit the script's own data.
"""

from __future__ import annotations

import re
import textwrap

import libcst as cst
import libcst.matchers as m

from bot.model import Dal

FUNCTION = '_test_additional_access_patterns'
_BLOCK = re.compile(r'^\s*# Access Pattern #(\d+):\s*(.*)$')
_CODE = re.compile(r'^(\s*)# ?(.*)$')


def _function(module: cst.Module) -> cst.FunctionDef | None:
    for cls in module.body:
        if isinstance(cls, cst.ClassDef):
            for fn in cls.body.body:
                if isinstance(fn, cst.FunctionDef) and fn.name.value == FUNCTION:
                    return fn
    return None


def _is_legacy(fn: cst.FunctionDef) -> bool:
    code = cst.Module(body=[]).code_for_node(fn)
    return bool(re.search(r'^\s*# try:\s*$', code, re.M))


def _live_block(
    indent: str, pattern_id: str, description: str, comments: list[str], code: str
) -> str:
    """One block in the current template's form, around the old block's call."""
    try:
        block = cst.parse_statement(textwrap.dedent(code))
    except cst.ParserSyntaxError:
        return ''
    if not isinstance(block, cst.Try):
        return ''
    placeholders: dict[str, cst.BaseExpression] = {}
    call = None
    for stmt in block.body.body:
        if m.matches(
            stmt, m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(m.Name())])])
        ):
            placeholders[stmt.body[0].targets[0].target.value] = stmt.body[0].value
        elif m.matches(
            stmt,
            m.SimpleStatementLine(body=[m.Expr(m.Call(func=m.Attribute(value=m.Attribute())))]),
        ):
            call = stmt.body[0].value
        elif m.matches(
            stmt, m.SimpleStatementLine(body=[m.Assign(value=m.Call(func=m.Attribute()))])
        ):
            call = stmt.body[0].value
    if call is None:
        return ''

    class Inline(cst.CSTTransformer):
        def leave_Name(self, original, updated):
            return placeholders.get(updated.value, updated)

    call_src = cst.Module(body=[]).code_for_node(call.visit(Inline()))
    label = f'Access Pattern #{pattern_id}: {description}'
    lines = [f'# Access Pattern #{pattern_id}: {description}', *comments, 'try:']
    lines += [
        f'    print({("🔍 Testing " + label)!r})',
        f'    result = {call_src}',
        "    print(f'   📊 Result: {result}')",
        'except Exception as e:',
        f"    print(f'❌ Error testing Access Pattern #{pattern_id}: {{e}}')",
    ]
    return '\n'.join(indent + line for line in lines) + '\n'


def uncomment_blocks(module: cst.Module, dal: Dal, repairs: list[str]) -> cst.Module:
    fn = _function(module)
    if fn is None or not _is_legacy(fn):
        return module
    source = cst.Module(body=[]).code_for_node(fn)
    out: list[str] = []
    lines = source.splitlines(keepends=True)
    i = 0
    restored = []
    while i < len(lines):
        hit = _BLOCK.match(lines[i])
        if not hit:
            out.append(lines[i])
            i += 1
            continue
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        pattern_id, description = hit.groups()
        comments, code = [], []
        i += 1
        while i < len(lines) and lines[i].lstrip().startswith('#') and not _BLOCK.match(lines[i]):
            text = lines[i].strip()
            if code or text.startswith('# try:'):
                code.append(_CODE.match(lines[i].rstrip('\n')).group(2))
            elif not text.startswith('# Implementation:'):
                comments.append(text)
            i += 1
        # Trailing comment lines that name the next entity (`# Post`) belong to what follows.
        while code and not code[-1].startswith((' ', 'try', 'except')):
            out_comment = '# ' + code.pop()
            out.append(indent + out_comment + '\n')
        block = _live_block(indent, pattern_id, description, comments, '\n'.join(code) + '\n')
        if block:
            out.append(block)
            restored.append(f'#{pattern_id}')
        else:
            out.append(indent + f'# Access Pattern #{pattern_id}: {description}\n')
            out += [indent + c + '\n' for c in comments]
            out += [indent + '# ' + c + '\n' for c in code]
    new_source = ''.join(out)
    new_source = new_source.replace(' (Commented Out)', '').replace(
        ' (commented out by default for manual implementation)', ''
    )
    new_source = re.sub(
        r"^\s*print\('(💡 Access pattern tests are commented out|   Implement the repository methods, then uncomment).*\n",
        '',
        new_source,
        flags=re.M,
    )
    if not restored:
        return module
    new_fn = cst.parse_statement(textwrap.dedent(new_source))
    repairs.append(
        f"uncommented the older template's pattern blocks {', '.join(restored)}; each prints its result"
    )

    class Swap(cst.CSTTransformer):
        def leave_FunctionDef(self, original, updated):
            if original is fn:
                return new_fn.with_changes(leading_lines=updated.leading_lines)
            return updated

    return module.visit(Swap())
