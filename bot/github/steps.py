"""The per-DAL steps every mode shares (implement, verify) and the end of every run (JSON
report, job summary, outputs, annotations, exit code)."""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path

import git

from bot.github import workflow
from bot.github.context import Context
from bot.github.results import DalOutcome, Location, RunReport

REPORT_FILE = 'dal-bot-report.json'
PATCH_FILE = 'dal-bot.patch'
MARKDOWN_FILE = 'dal-bot-comment.md'


def log(message: str) -> None:
    print(f'dal-bot: {message}', file=sys.stderr, flush=True)


def steps_log_exception() -> None:
    traceback.print_exc(file=sys.stderr)


def implement(ctx: Context, outcome: DalOutcome, *, commit: bool) -> None:
    """One DAL through the verification gate (see `implement_all`)."""
    implement_all(ctx, [outcome], commit=commit)


def implement_all(ctx: Context, outcomes: list[DalOutcome], *, commit: bool) -> None:
    """Every DAL of the run through the gate together (`bot.gate.gate_many`): each round's
    verifications run in parallel on the run's shared backend, so a pull request touching five
    DALs costs about one DAL per core. Errors land in the outcomes; a DAL that fails has nothing
    committed. A failure that could leave some of its commits behind (a git error) resets every
    DAL's commits: nothing half-done is pushed."""
    from bot.gate import Gated, gate_many

    repo = git.Repo(ctx.workspace)
    before = repo.head.commit.hexsha
    by_path = {(ctx.workspace / o.dal).resolve(): o for o in outcomes}
    try:
        results = gate_many(
            list(by_path),
            lambda paths: _verify_batch(ctx, by_path, paths),
            commit=commit,
            chunk_size=ctx.inputs.chunk_size,
            author=ctx.inputs.commit_author,
            fix_index_keys=ctx.inputs.fix_index_keys,
        )
    except Exception as e:  # a bug, or git failing: report it on every DAL, commit nothing
        for o in outcomes:
            o.error = f'internal error while implementing: {type(e).__name__}: {e}'
        steps_log_exception()
        if commit:
            repo.git.reset('--hard', '--quiet', before)
        return
    failed = [
        o for o, r in zip(by_path.values(), results, strict=True) if not isinstance(r, Gated)
    ]
    if (
        commit
        and failed
        and repo.git.diff('--name-only', before, 'HEAD', '--', *[o.dal for o in failed])
    ):
        # The gate commits a DAL only after its last verification; this is the git-failure case.
        repo.git.reset('--hard', '--quiet', before)
        for o in outcomes:
            o.error = 'a DAL failed after some of its commits were made: nothing was committed'
        return
    for o, result in zip(by_path.values(), results, strict=True):
        if not isinstance(result, Gated):
            o.error = str(result)
            continue
        o.implement, o.verify = result.implement, result.verify
        r, v = result.implement, result.verify
        log(
            f'{o.dal}: {len(r.implemented)} implemented, {len(r.left)} left, '
            f'{len(r.not_pushed)} not pushed (raised), {len(r.commits)} commits; '
            f'{sum(p.ok for p in v.patterns)}/{len(v.patterns)} patterns ok '
            f'({result.verifications} verification(s))'
        )


def _verify_batch(ctx: Context, by_path: dict[Path, DalOutcome], paths: Iterable[Path]) -> list:
    """The gate's verifier for several DALs: each model loaded as the gate hands its DAL over,
    verified in parallel with the others; a DAL that cannot be is its exception (the gate hands
    it back as that DAL's failure)."""
    from bot.model import load_dal
    from bot.verify import Failed, job_dirs, verify_paths

    def load(path: Path):
        dal = load_dal(path)
        outcome = by_path[Path(path).resolve()]
        outcome.locations = {
            f'{p.owner}.{p.method}': Location(file=f'{outcome.dal}/{p.file}', line=p.line)
            for p in dal.patterns
        }
        return dal

    results = verify_paths(
        paths,
        backend=ctx.backend(),
        load=load,
        timeout=ctx.timeout,
        runner=ctx.runner,
        protect=job_dirs(ctx.env),  # closed to the DAL's code while it runs
    )
    return [r.exception if isinstance(r, Failed) else r for r in results]


def _verify(ctx: Context, outcome: DalOutcome, path: Path):
    """The gate's verifier for one DAL: the DAL as it is in the workspace now."""
    (result,) = _verify_batch(ctx, {Path(path).resolve(): outcome}, [path])
    if isinstance(result, Exception):
        raise result
    return result


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
                    'warning' if p.status == 'unsupported' else 'error',
                    f'access pattern {p.id} {p.owner}.{p.method}: {p.status}'
                    + (f': {p.message}' if p.message else ''),
                    file=where.file if where else o.dal,
                    line=where.line if where else None,
                    title=f'dal-bot: AP {p.id} {p.status}',
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


def write_artifact_files(ctx: Context, report: RunReport, markdown: str) -> None:
    """Fork mode: the comment and the patch beside the JSON report, for the job to upload as
    the artifact the comment workflow posts (bot.github.fork_comment)."""
    (ctx.workspace / MARKDOWN_FILE).write_text(markdown, encoding='utf-8')
    if report.patch:
        write_patch(ctx, report.patch)


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
        f'{report.patterns_ok} patterns ok, {report.patterns_failed} failed, '
        f'{report.patterns_unsupported} unsupported by the engine; report {report_path}'
    )
    if report.push in ('branch-moved', 'push-failed'):
        return 1
    if not report.ok and ctx.inputs.fail_on_error:
        return 1
    return 0


def relative(ctx: Context, path: Path) -> str:
    return path.resolve().relative_to(ctx.workspace).as_posix()
