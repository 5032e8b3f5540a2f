"""`dal-bot action`: the container's entry point (PR, fork, sweep and detect modes).

The mode is the `mode` input, else chosen from the event: pull_request -> pr (fork mode when
the head repository is not the base repository), schedule / workflow_dispatch -> sweep,
workflow_run -> comment (a fork pull request's report, from its run's artifact).
Inputs come from INPUT_<NAME> variables (bot.github.inputs).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from bot.errors import BadInput

EVENT_MODES = {
    'pull_request': 'pr',
    'pull_request_target': 'pr',
    'schedule': 'sweep',
    'workflow_dispatch': 'sweep',
    'workflow_run': 'comment',
}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        '--mode', choices=('pr', 'sweep', 'detect', 'comment'), help='override input `mode`'
    )
    parser.add_argument(
        '--dry-run', action='store_true', help='sweep: report what it would do, change nothing'
    )


def choose_mode(mode: str, event_name: str) -> str:
    if mode:
        return mode
    if event_name in EVENT_MODES:
        return EVENT_MODES[event_name]
    raise BadInput(
        'GITHUB_EVENT_NAME',
        f'cannot choose a mode for the {event_name or "(unset)"!s} event: set the `mode` input '
        "to 'pr', 'sweep', 'detect' or 'comment'",
    )


def run(args: argparse.Namespace, env=None, hooks=None) -> int:
    from bot.github.ownership import kept_for_owner

    env = os.environ if env is None else env
    workspace = Path(env.get('GITHUB_WORKSPACE') or '.')
    # whatever happens, what the bot wrote in the workspace ends up the runner's
    with kept_for_owner(workspace.resolve()):
        return _run(args, env, hooks, workspace)


def _run(args: argparse.Namespace, env, hooks, workspace: Path) -> int:
    from bot.github import gitops, workflow
    from bot.github.context import Context

    if workspace.is_dir():
        gitops.mark_safe_directory(workspace)
    ctx = Context.from_env(
        env,
        mode=getattr(args, 'mode', None),
        dry_run=True if getattr(args, 'dry_run', False) else None,
    )
    mode = choose_mode(ctx.inputs.mode, ctx.event_name)
    if ctx.event_name == 'pull_request_target' and mode == 'pr':
        workflow.emit(
            workflow.annotation(
                'warning',
                'pull_request_target runs with a write token on pull requests from forks; '
                'use the pull_request event',
                title='dal-bot',
            )
        )
    if mode == 'detect':
        return _detect(ctx)
    if mode == 'comment':
        from bot.github.fork_comment import run_comment

        return run_comment(ctx)
    try:
        if mode == 'sweep':
            from bot.github.sweep import run_sweep

            return run_sweep(ctx)
        from bot.github.pr import run_pr

        return run_pr(ctx, hooks)
    finally:
        ctx.close_backend()


def _detect(ctx) -> int:
    from bot.commands.detect import _event_base, detect, matrix
    from bot.errors import InfrastructureError
    from bot.github import workflow

    base, head = _event_base(ctx.env)
    try:
        dals = detect(ctx.workspace, base, head, ctx.inputs.paths)
    except InfrastructureError:
        dals = detect(ctx.workspace, base, 'HEAD', ctx.inputs.paths) if base else []
    print(json.dumps(matrix(dals)))
    workflow.write_outputs({'dals': json.dumps(dals), 'matrix': json.dumps(matrix(dals))}, ctx.env)
    return 0
