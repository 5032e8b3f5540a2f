"""Repairing usage_examples.py so every access pattern is called, and called so that it can
find the data the script itself created.

- older template: the commented-out blocks of `_test_additional_access_patterns` come back
  as code that prints its result and marks its errors like the current template (legacy);
- both templates: every call matches its method's signature (keyword arguments, the
  related entity from `created_entities` when the generated call leaves it out), and literal
  arguments that cannot hit the script's data (`""`, `"prefix_value"`, a date for a number)
  are replaced by values taken from the created entities (calls, values);
- sample values that defeat a pattern's `attribute_not_exists` filter are left out of the
  samples when nothing else needs them (samples);
- destructive patterns (DeleteItem) run after the ones that read, and conditional-create
  transactions after the intermediate cleanup, as the generator's own comment intends (order).

Only the two pattern sections are read and rewritten, as text located by `ast`; in the CRUD
half only a sample's defeating keyword may go, and main() with its safety check is never
touched. A rewritten section
is formatted with the DAL's ruff.toml.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from bot.implement._format import format_methods
from bot.implement._splice import Span, method_span, methods, replace_lines
from bot.implement.usage.calls import CallRepair
from bot.implement.usage.legacy import uncomment_blocks
from bot.implement.usage.order import ConditionalPuts, deletes_last
from bot.implement.usage.samples import unset_defeating_samples
from bot.model import Dal
from bot.model._code import service_attributes
from bot.pysource import Source, walk_statements

ADDITIONAL, CROSS_TABLE = '_test_additional_access_patterns', '_test_cross_table_patterns'


@dataclass
class UsageRepair:
    """The repairs of usage_examples.py, all but the formatting of the sections they
    rewrote (done in a ruff run shared with the new method bodies)."""

    original: str
    text: str  # the whole file, sections not yet replaced
    repairs: list[str]
    changed: list[tuple[str, Span, str]]  # (class, lines of the section, its new code)

    @property
    def methods(self) -> list[tuple[str, str]]:
        """The rewritten sections, as format_methods takes them."""
        return [(cls, code) for cls, _, code in self.changed]

    def result(self, formatted: list[str]) -> tuple[str, list[str]] | None:
        """The repaired text and what was repaired, given `methods` formatted; None when
        nothing needs to change."""
        if not self.changed:
            return (self.text, self.repairs) if self.text != self.original else None
        edits = [(span, code) for (_, span, _), code in zip(self.changed, formatted, strict=True)]
        return replace_lines(self.text, edits), self.repairs


def repair_usage(dal: Dal, text: str) -> tuple[str, list[str]] | None:
    """The repaired text of usage_examples.py (given with `\n` line ends) and what was
    repaired; None when nothing needs to change."""
    usage = plan_usage(dal, Source(text))
    return usage.result(format_methods(usage.methods, dal.path))


def plan_usage(dal: Dal, file: Source) -> UsageRepair:
    """Every repair of usage_examples.py (its text with `\n` line ends, and ast) but the
    formatting."""
    repairs: list[str] = []
    original = file.text
    file = unset_defeating_samples(dal, file, repairs)
    text = file.text
    sections = [
        (cls, name, method_span(file.lines, fn), fn)
        for (cls, name), fn in methods(file.tree).items()
        if name in (ADDITIONAL, CROSS_TABLE)
    ]
    attrs = service_attributes(text)

    # Each section is edited alone, as the one method of a class of its class's name.
    def wrapped(cls: str, code: str) -> Source:
        return Source(f'class {cls}:\n{code}')

    def unwrapped(src_text: str) -> str:
        return src_text.split('\n', 1)[1]

    codes = {name: ''.join(file.lines[span.start : span.end]) for _, name, span, _ in sections}
    new = dict(codes)
    if ADDITIONAL in new:
        new[ADDITIONAL] = uncomment_blocks(new[ADDITIONAL], repairs)
    samples = _sample_constructors(file)
    calls = CallRepair(dal, attrs, repairs, samples)
    for cls, name, span, fn in sections:
        if new[name] == codes[name]:  # the file's own tree: nothing to parse again
            start, end = file.line_start(span.start + 1), file.line_start(span.end + 1)
            new[name] = calls(file, fn, start, end)
        else:
            src = wrapped(cls, new[name])
            fn = src.tree.body[0].body[0]
            new[name] = calls(src, fn, src.line_start(2), len(src.text))
    calls.report()
    puts = ConditionalPuts(dal, attrs, samples)
    for cls, name, _, _ in sections:
        src = wrapped(cls, new[name])
        if name == ADDITIONAL:
            new[name] = unwrapped(deletes_last(src, dal, repairs))
        else:
            new[name] = unwrapped(puts(src, repairs))

    changed = [
        (cls, span, new[name]) for cls, name, span, _ in sections if new[name] != codes[name]
    ]
    return UsageRepair(original, text, repairs, changed)


def _sample_constructors(file: Source) -> dict[str, str]:
    """Source of `sample_hotel = Hotel(...)` in the CRUD section, by entity name (the
    first one in the file wins)."""
    found: dict[str, str] = {}
    assigns = sorted(
        (
            node
            for node in walk_statements(file.tree)
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id.startswith('sample_')
        ),
        key=lambda node: node.lineno,
    )
    for node in assigns:
        found.setdefault(node.value.func.id, file.segment(node.value))
    return found


__all__ = ['UsageRepair', 'plan_usage', 'repair_usage']
