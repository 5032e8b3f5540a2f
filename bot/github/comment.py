"""The PR comment (also the job summary and the sweep PR body), composed from bot.report.

Layout: hidden marker, a verdict header, one section per DAL (verification summary, the
commits pushed, stubs left and why, the access-pattern table folded in `<details>`, how to
reproduce locally), then the patch (fork / report-only) in a collapsed, `git am`-able block
with a one-line command to apply it. Everything that came from the event or the DAL is
escaped (bot.report's `escape_cell` / `code_span`). The comment stays under GitHub's
65,536-character limit: the patch moves to a file, then tables shrink to failing rows, then
the text is cut with a note.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping

from bot.github.results import DalOutcome, RunReport
from bot.report import (
    code_block,
    code_span,
    cost_totals,
    engine_note,
    escape_cell,
    markdown_table,
    summary_line,
)

MARKER = '<!-- dal-bot:report -->'
LIMIT = 65_536
_BUDGET = LIMIT - 1_536  # room for the cut note and closing tags
PATCH_FENCE = '~~~~~~~~~~~~'
PATCH_INFO = 'dal-bot-patch'


def apply_command(repository: str, pull_number: int | None) -> str:
    """One line that takes the patch out of the bot's comment and applies it (gh CLI)."""
    awk = f"awk '/^{PATCH_FENCE}$/{{f=0}} f; /^{PATCH_FENCE} {PATCH_INFO}$/{{f=1}}'"
    if pull_number is None:
        return f'{awk} comment.md | git am'
    return (
        f'gh pr view {int(pull_number)} --repo {repository} --json comments '
        f"--jq '.comments[].body' | {awk} | git am"
    )


def pull_link(number: int, url: str | None) -> str:
    """A pull request named without a bare `#N` (GitHub links those to whatever issue N is)."""
    label = f'pull request {int(number)}'
    return f'[{label}]({url})' if url and url.startswith('https://') else label


def _short(sha: str) -> str:
    return sha[:7]


def _plural(n: int, word: str) -> str:
    return f'{n} {word}' + ('' if n == 1 else 's')


def _headline(report: RunReport) -> str:
    if report.push == 'branch-moved':
        return '⚠️ dal-bot stopped: the branch moved while it worked'
    if report.push == 'push-failed':
        return '❌ dal-bot could not push its commits'
    total = report.patterns_ok + report.patterns_failed + report.patterns_unsupported
    left = sum(len(o.implement.left) for o in report.outcomes if o.implement)
    taken_out = sum(len(o.implement.not_pushed) for o in report.outcomes if o.implement)
    errors = sum(1 for o in report.outcomes if o.error)
    if not report.outcomes:
        return '✅ dal-bot: no generated DAL changed'
    if report.ok:
        return f'✅ dal-bot: all {total} access patterns verified'
    parts = []
    if report.patterns_failed:
        parts.append(f'{report.patterns_failed} of {total} access patterns failed')
    if taken_out:
        parts.append(f'{_plural(taken_out, "method")} not pushed (raised)')
    if report.patterns_unsupported:
        parts.append(
            f'{report.patterns_unsupported} of {total} not supported by the DynamoDB engine'
        )
    if left:
        parts.append(f'{_plural(left, "stub")} left')
    if errors:
        parts.append(f'{_plural(errors, "DAL")} could not be checked')
    return '❌ dal-bot: ' + ', '.join(parts)


def _overview(report: RunReport) -> str:
    bits = [_plural(len(report.outcomes), 'DAL')]
    commits = report.commits
    if report.implemented:
        bits.append(f'{_plural(report.implemented, "method")} implemented')
    if report.push == 'pushed' and commits:
        where = code_span(report.branch) if report.branch else 'the branch'
        bits.append(f'{_plural(len(commits), "commit")} pushed to {where}')
    elif report.push == 'not-pushed' and commits:
        bits.append(f'{_plural(len(commits), "commit")} not pushed (patch below)')
    if report.push == 'not-pushed' and commits:
        # The commits verified exist only in the runner; their sha would lead nowhere.
        bits.append('verified with the patch applied')
    elif report.head_sha:
        bits.append(f'verified at {code_span(_short(report.head_sha))}')
    spent = [t for o in report.outcomes if o.verify and (t := cost_totals(o.verify))]
    if spent:  # what the script's run of every access pattern cost, all DALs together
        rcu, wcu = round(sum(t[0] for t in spent), 2), round(sum(t[1] for t in spent), 2)
        bits.append(f'access patterns cost {rcu:g} RCU, {wcu:g} WCU')
    return ' · '.join(bits)


def _pattern_section(outcome: DalOutcome, compact: bool) -> list[str]:
    result = outcome.verify
    if result is None:
        return []
    failing = [p for p in result.patterns if p.status != 'ok']
    out = [summary_line(result), '']
    if compact:
        if failing:
            table = markdown_table(result.model_copy(update={'patterns': failing}))
            out += ['Failing access patterns (passing ones omitted to fit the comment):', '']
            out += [table, '']
    elif result.patterns:
        state = ' open' if failing else ''
        label = f'Access patterns ({len(result.patterns)})'
        out += [f'<details{state}><summary>{label}</summary>', '', markdown_table(result), '']
        out += ['</details>', '']
    if note := engine_note(result):
        out += [*note, '']
    if result.crud_errors:
        out += ['**CRUD failures printed by usage_examples.py**', '']
        out += [
            f'- {escape_cell(e.action)}' + (f': {escape_cell(e.message)}' if e.message else '')
            for e in result.crud_errors
        ]
        out.append('')
    if result.crash:
        label = 'Timeout' if result.timed_out else 'Crash'
        crash = result.crash if not compact else '\n'.join(result.crash.splitlines()[-20:])
        out += [f'<details><summary>{label}</summary>', '', code_block(crash), '', '</details>']
        out.append('')
    return out


def _dal_section(outcome: DalOutcome, report: RunReport, compact: bool) -> list[str]:
    mark = '✅' if outcome.ok else '❌'
    out = [f'### {mark} {code_span(outcome.dal)}', '']
    if outcome.pull_url and outcome.pull_number:
        link = pull_link(outcome.pull_number, outcome.pull_url)
        out += [f'Pull request: {link} ({escape_cell(outcome.action)})', '']
    if outcome.error:
        out += [f'**Could not be checked:** {escape_cell(outcome.error, 1000)}', '']
    commits = outcome.commits
    if commits:
        verb = 'pushed' if report.push == 'pushed' else 'made (not pushed)'
        out += [f'**Commits {verb}** ({len(commits)}):', '']
        out += [
            f'- {code_span(_short(c.sha))} {escape_cell(c.message.splitlines()[0])}'
            for c in commits
        ]
        out.append('')
    inferred = [
        (m, label)
        for m in (outcome.implement.implemented if outcome.implement else [])
        for label in m.inferred
    ]
    if inferred:
        # What the bot read from names alone (no schema, mapping or comment said it).
        out += [f'**Inferred from names** ({len(inferred)}) — please check these readings:', '']
        rows = [
            f'- {code_span(f"{m.owner}.{m.name}")}'
            + (f' (AP {m.pattern_id})' if m.pattern_id is not None else '')
            + f': {escape_cell(label)}'
            for m, label in inferred
        ]
        out += rows[:20] if compact else rows
        if compact and len(rows) > 20:
            out.append(f'- … and {len(rows) - 20} more (see the JSON report)')
        out.append('')
    out += _not_pushed_section(outcome, compact)
    out += _index_keys_section(outcome)
    left = outcome.implement.left if outcome.implement else []
    if left:
        out += [f'**Stubs left** ({len(left)}) — not implemented, never guessed:', '']
        rows = [
            f'- {code_span(f"{s.owner}.{s.name}")}'
            + (f' (AP {s.pattern_id})' if s.pattern_id is not None else '')
            + f' at {code_span(f"{s.file}:{s.line}")}: {escape_cell(s.reason)}'
            for s in left
        ]
        out += rows[:20] if compact else rows
        if compact and len(rows) > 20:
            out.append(f'- … and {len(rows) - 20} more (see the JSON report)')
        out.append('')
    repairs = outcome.implement.usage_repairs if outcome.implement else []
    if repairs and not compact:
        out += [f'<details><summary>usage_examples.py repairs ({len(repairs)})</summary>', '']
        out += [f'- {escape_cell(r)}' for r in repairs] + ['', '</details>', '']
    out += _pattern_section(outcome, compact)
    out += ['Reproduce locally:', '', code_block(f'dal-bot run {_shell_quote(outcome.dal)}')]
    out.append('')
    return out


def _not_pushed_section(outcome: DalOutcome, compact: bool) -> list[str]:
    """Methods the verification gate took out: what they raised, and (folded) the body the
    bot tried, for a human to take from there."""
    taken_out = outcome.implement.not_pushed if outcome.implement else []
    if not taken_out:
        return []
    out = [
        f'**Not pushed** ({len(taken_out)}) — implemented, but the call raised during '
        'verification, so the stub stays as it was:',
        '',
    ]
    for n in taken_out:
        out.append(
            f'- {code_span(f"{n.owner}.{n.name}")}'
            + (f' (AP {n.pattern_id})' if n.pattern_id is not None else '')
            + f' at {code_span(f"{n.file}:{n.line}")}: not pushed: {escape_cell(n.reason)}'
            + ''.join(f' ({escape_cell(label)})' for label in n.inferred)
        )
    out.append('')
    if not compact:
        for n in taken_out:
            out += [
                '<details><summary>attempted body of '
                f'<code>{html.escape(f"{n.owner}.{n.name}")}</code></summary>',
                '',
                code_block(n.diff, 'diff'),
                '',
                '</details>',
                '',
            ]
    return out


def _index_keys_section(outcome: DalOutcome) -> list[str]:
    """What the index-key repair added, and the patterns reading those indexes now ok."""
    added = outcome.implement.index_keys if outcome.implement else []
    if not added:
        return []
    keys = ', '.join(
        f'{code_span(f"{a.entity}.{a.attribute}")} = {code_span(a.template)} ({escape_cell(a.index)})'
        for a in added
    )
    out = [
        '**Index keys repaired** (`entities.py`, its own commit): the generated `create()` and '
        '`update()` write `model_dump()` plus pk/sk only, so the items they write were never in '
        f'these indexes. Added as computed fields, written with every item: {keys}.',
        '',
    ]
    verdicts = {p.id: p.status for p in outcome.verify.patterns} if outcome.verify else {}
    turned: set[int] = set()  # only create()/update() wrote the entity: the reads found nothing
    helped: set[int] = set()  # a pattern of the bot's also wrote it: the reads found those items
    writers: set[int] = set()
    for a in added:
        for i in a.patterns:
            if verdicts.get(i) == 'ok':
                (helped if a.writers else turned).add(i)
                writers.update(a.writers if a.writers else ())
    not_ok = sorted({i for a in added for i in a.patterns if verdicts.get(i, 'ok') != 'ok'})

    def ids(numbers) -> str:
        return ', '.join(f'&#35;{i}' for i in sorted(numbers))  # a bare `#2` links issue 2

    if turned:
        out.append(f'Patterns reading these indexes, turned from empty to ok: {ids(turned)}.')
    if helped - turned:
        out.append(
            f'Patterns reading these indexes, ok: {ids(helped - turned)} (before the repair they '
            f'found only items written by pattern {ids(writers)}).'
        )
    if not_ok:
        rows = ', '.join(f'&#35;{i} {verdicts[i]}' for i in not_ok)
        out.append(f'Reading them but still not ok (see below): {rows}.')
    if turned or helped or not_ok:
        out.append('')
    return out


def _shell_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def _patch_section(report: RunReport, inline: bool) -> list[str]:
    if not report.patch:
        return []
    n = len(report.commits)
    if report.mode == 'fork':
        why = 'This pull request comes from a fork, so dal-bot did not push.'
    elif report.mode == 'report-only':
        why = 'The action runs with `commit: false`, so dal-bot did not push.'
    else:
        why = 'dal-bot could not push.'
    out = ['### Patch', '', f'{why} Its {_plural(n, "commit")} as a patch:', '']
    if inline:
        out += [
            f'<details><summary>{_plural(n, "commit")} (<code>git am</code>)</summary>',
            '',
            f'{PATCH_FENCE} {PATCH_INFO}',
            report.patch.rstrip('\n'),
            PATCH_FENCE,
            '',
            '</details>',
            '',
            'Apply it on your branch with one line:',
            '',
            code_block(apply_command(report.repository, report.pull_number), 'sh'),
            '',
        ]
    else:
        name = os.path.basename(report.patch_file or 'dal-bot.patch')
        out += [
            f'The patch is too large for a comment: it was written to {code_span(name)} '
            '(upload it with `actions/upload-artifact`), then apply it with:',
            '',
            code_block(f'git am {name}', 'sh'),
            '',
        ]
    return out


def _footer(env: Mapping[str, str]) -> list[str]:
    server, repo, run = (
        env.get(k) for k in ('GITHUB_SERVER_URL', 'GITHUB_REPOSITORY', 'GITHUB_RUN_ID')
    )
    if server and repo and run and run.isdigit():
        return [f'<sub>dal-bot · [workflow run]({server}/{repo}/actions/runs/{run})</sub>']
    return ['<sub>dal-bot</sub>']


def render(
    report: RunReport,
    *,
    patch_inline: bool = True,
    compact: bool = False,
    env: Mapping[str, str] | None = None,
) -> str:
    env = os.environ if env is None else env
    out = [MARKER, f'## {_headline(report)}', '', _overview(report), '']
    if report.push in ('branch-moved', 'push-failed') or report.push_message and not report.ok:
        out += [f'> {escape_cell(report.push_message, 1000)}', '']
    for note in report.notes:
        out += [f'> {escape_cell(note, 1000)}', '']
    for outcome in report.outcomes:
        out += _dal_section(outcome, report, compact)
    out += _patch_section(report, patch_inline)
    out += _footer(env)
    return '\n'.join(out).rstrip('\n') + '\n'


def fits(text: str) -> bool:
    return len(text) <= _BUDGET


def cut(text: str) -> str:
    """Cut `text` to fit, closing any `<details>` left open."""
    head = text[:_BUDGET]
    head = head[: head.rfind('\n') + 1] if '\n' in head else head
    if head.count('```') % 2:
        head += '```\n'
    opened = head.count('<details') - head.count('</details>')
    head += '\n' + '</details>\n' * max(opened, 0)
    return (
        head + "\n> … cut to fit GitHub's comment limit; the full report is in the job summary.\n"
    )


def render_short(report: RunReport, env: Mapping[str, str] | None = None) -> str:
    """The short comment for a clean run: nothing to do."""
    env = os.environ if env is None else env
    lines = [MARKER, f'## {_headline(report)}', '']
    if report.outcomes:
        lines += [_overview(report) + ' · nothing to implement', '']
        for o in report.outcomes:
            line = f'- {code_span(o.dal)}'
            if o.verify:
                line += f': {summary_line(o.verify)}'
            lines.append(line)
        lines.append('')
    else:
        lines += ['This pull request changes no generated DAL folder.', '']
    lines += _footer(env)
    return '\n'.join(lines) + '\n'
