"""The older usage_examples.py template: its pattern blocks are comments. Bring them back.

Each block (`# Access Pattern #N: ...`, `# Index: ...`, `# Implementation: TODO ...`,
`# try:` ... `# except ...`) becomes a live block in the current template's form: it
prints `🔍 Testing Access Pattern #N`, the call's result, and errors with the ❌ marker.
Placeholder variables (`since_date = ""`) are inlined so the call repair can give them
values that hit the script's own data.
"""

from __future__ import annotations

import ast
import re
import textwrap

from bot.implement._splice import edit
from bot.pysource import Source, split_lines

_BLOCK = re.compile(r'^\s*# Access Pattern #(\d+):\s*(.*)$')
_CODE = re.compile(r'^(\s*)# ?(.*)$')


def _live_block(
    indent: str, pattern_id: str, description: str, comments: list[str], code: str
) -> str:
    """One block in the current template's form, around the old block's call."""
    try:
        src = Source(textwrap.dedent(code))
    except SyntaxError:
        return ''
    if len(src.tree.body) != 1 or not isinstance(src.tree.body[0], ast.Try):
        return ''
    placeholders: dict[str, str] = {}
    call = None
    for stmt in src.tree.body[0].body:
        value = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign)) else None
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
        ):
            placeholders[stmt.targets[0].id] = src.segment(stmt.value)
        elif (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and (isinstance(stmt, ast.Assign) or isinstance(value.func.value, ast.Attribute))
        ):
            call = value
    if call is None:
        return ''
    start, _ = src.span(call)
    call_src = edit(
        src.segment(call),
        [
            (a - start, b - start, placeholders[node.id])
            for node in ast.walk(call)
            if isinstance(node, ast.Name) and node.id in placeholders
            for a, b in [src.span(node)]
        ],
    )
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


def uncomment_blocks(source: str, repairs: list[str]) -> str:
    """The method's source (`_test_additional_access_patterns`), its commented blocks live."""
    if not re.search(r'^\s*# try:\s*$', source, re.M):
        return source
    out: list[str] = []
    lines = split_lines(source)
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
            restored.append(f'AP {pattern_id}')
        else:
            out.append(indent + f'# Access Pattern #{pattern_id}: {description}\n')
            out += [indent + c + '\n' for c in comments]
            out += [indent + '# ' + c + '\n' for c in code]
    if not restored:
        return source
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
    repairs.append(
        f"uncommented the older template's pattern blocks {', '.join(restored)}; each prints its result"
    )
    return new_source
