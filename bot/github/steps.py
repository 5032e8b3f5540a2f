"""The per-DAL steps every mode shares (implement, verify) and the end of every run (JSON
report, job summary, outputs, annotations, exit code)."""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

import git

from bot.errors import BadInput, InfrastructureError
from bot.github import workflow
from bot.github.context import Context
from bot.github.results import DalOutcome, Location, RunReport

REPORT_FILE = 'dal-bot-report.json'
PATCH_FILE = 'dal-bot.patch'


def log(message: str) -> None:
    print(f'dal-bot: {message}', file=sys.stderr, flush=True)


def steps_log_exception() -> None:
    traceback.print_exc(file=sys.stderr)


def implement(ctx: Context, outcome: DalOutcome, *, commit: bool) -> None:
    """Implement the DAL's stubs through the verification gate (bot.gate): verified before
    anything is committed, chunk commits of what passed when `commit`. Errors land in the
    outcome, and then nothing of this DAL is committed."""
    from bot.gate import implement_verified

    repo = git.Repo(ctx.workspace)
    before = repo.head.commit.hexsha
    try:
        gated = implement_verified(
            ctx.workspace / outcome.dal,
            lambda path: _verify(ctx, outcome, path),
            commit=commit,
            chunk_size=ctx.inputs.chunk_size,
            author=ctx.inputs.commit_author,
        )
    except (BadInput, InfrastructureError) as e:
        outcome.error = str(e)
    except Exception as e:  # a bug: report it, keep the other DALs going
        outcome.error = f'internal error while implementing: {type(e).__name__}: {e}'
        steps_log_exception()
    else:
        outcome.implement, outcome.verify = gated.implement, gated.verify
        r, v = gated.implement, gated.verify
        log(
            f'{outcome.dal}: {len(r.implemented)} implemented, {len(r.left)} left, '
            f'{len(r.not_pushed)} not pushed (raised), {len(r.commits)} commits; '
            f'{sum(p.ok for p in v.patterns)}/{len(v.patterns)} patterns ok '
            f'({gated.verifications} verification(s))'
        )
        return
    if commit:  # nothing half-done of this DAL stays behind
        repo.git.reset('--hard', '--quiet', before)


def _verify(ctx: Context, outcome: DalOutcome, path: Path):
    """The gate's verifier: the DAL as it is in the workspace now."""
    from bot.model import load_dal
    from bot.verify import verify_dal

    dal = load_dal(path)
    outcome.locations = {
        f'{p.owner}.{p.method}': Location(file=f'{outcome.dal}/{p.file}', line=p.line)
        for p in dal.patterns
    }
    return verify_dal(
        dal,
        endpoint=ctx.inputs.dynamodb_endpoint or None,
        timeout=ctx.timeout,
        runner=ctx.runner,
    )


def annotations(report: RunReport) -> list[str]:
    lines = []
    for o in report.outcomes:
        if o.error:
            lines.append(workflow.annotation('error', o.error, file=o.dal, title='dal-bot'))
        for n in o.implement.not_pushed if o.implement else []:
            lines.append(
                workflow.annotation(
                    'error',
                    f'{n.owner}.{n.name}: not pushed: {n.reason}',
                    file=f'{o.dal}/{n.file}',
                    line=n.line,
                    title='dal-bot: not pushed',
                )
            )
        for s in o.implement.left if o.implement else []:
            lines.append(
                workflow.annotation(
                    'error',
                    f'{s.owner}.{s.name}: stub not implemented: {s.reason}',
                    file=f'{o.dal}/{s.file}',
                    line=s.line,
                    title='dal-bot: stub left',
                )
            )
        taken_out = {(n.owner, n.name) for n in o.implement.not_pushed} if o.implement else set()
        for p in o.verify.patterns if o.verify else []:
            if p.status == 'ok' or (p.owner, p.method) in taken_out:
                continue  # a method taken out has its own annotation above
            where = o.locations.get(f'{p.owner}.{p.method}')
            lines.append(
                workflow.annotation(
                    'error',
                    f'access pattern #{p.id} {p.owner}.{p.method}: {p.status}'
                    + (f': {p.message}' if p.message else ''),
                    file=where.file if where else o.dal,
                    line=where.line if where else None,
                    title=f'dal-bot: pattern #{p.id} {p.status}',
                )
            )
    return lines


def write_report(ctx: Context, report: RunReport) -> str:
    """The JSON report in the workspace (a path later steps can upload); its relative path."""
    path = ctx.workspace / REPORT_FILE
    path.write_text(json.dumps(report.to_json_dict(), indent=2, ensure_ascii=False) + '\n')
    return REPORT_FILE


def write_patch(ctx: Context, patch: str) -> str:
    path = ctx.workspace / PATCH_FILE
    path.write_text(patch)
    return PATCH_FILE


def finish(ctx: Context, report: RunReport, summary_markdown: str) -> int:
    """JSON report, job summary, outputs, annotations; the exit code of the run."""
    report_path = write_report(ctx, report)
    workflow.write_summary(summary_markdown, ctx.env)
    outputs = report.outputs(report_path)
    if report.patch_file:
        outputs['patch'] = report.patch_file
    workflow.write_outputs(outputs, ctx.env)
    for line in annotations(report):
        workflow.emit(line)
    log(
        f'{len(report.outcomes)} DAL(s), {report.implemented} implemented, '
        f'{report.patterns_ok} patterns ok, {report.patterns_failed} failed; report {report_path}'
    )
    if report.push in ('branch-moved', 'push-failed'):
        return 1
    if not report.ok and ctx.inputs.fail_on_error:
        return 1
    return 0


def relative(ctx: Context, path: Path) -> str:
    return path.resolve().relative_to(ctx.workspace).as_posix()
