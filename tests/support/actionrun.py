"""Running the action in-process for tests: its environment, outputs, summary and report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.github.workflow import parse_outputs
from tests.support.events import action_env, pull_request_event
from tests.support.github_standin import GitHubStandIn

REPO = 'acme/shop'
BOT_AUTHOR = 'dal-bot <dal-bot@users.noreply.github.com>'


class Run:
    """One action run's environment and what it left behind."""

    def __init__(self, tmp: Path, env: dict[str, str]):
        self.tmp = tmp
        self.env = env

    @property
    def outputs(self) -> dict[str, str]:
        return parse_outputs(Path(self.env['GITHUB_OUTPUT']).read_text())

    @property
    def summary(self) -> str:
        return Path(self.env['GITHUB_STEP_SUMMARY']).read_text()

    def report(self) -> dict:
        return json.loads(
            (Path(self.env['GITHUB_WORKSPACE']) / self.outputs['report']).read_text()
        )

    def reset_files(self) -> None:
        for name in ('GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY'):
            Path(self.env[name]).write_text('')


def run_action(env: dict[str, str], hooks=None, **args) -> int:
    from bot.cli import main  # noqa: F401 - the dispatcher must import
    from bot.commands import action

    ns = argparse.Namespace(mode=args.get('mode'), dry_run=args.get('dry_run', False))
    return action.run(ns, env=env, hooks=hooks)


def pr_env(tmp: Path, gh: GitHubStandIn, repos, number: int = 7, inputs=None, **kw) -> Run:
    head_repo = kw.pop('head_repo', None)
    event = pull_request_event(
        repo=REPO,
        number=number,
        head_ref=repos.branch,
        head_sha=repos.head_sha,
        base_sha=repos.base_sha,
        head_repo=head_repo,
    )
    env = action_env(
        tmp / 'runner',
        api_url=gh.url,
        workspace=repos.workspace,
        repo=REPO,
        event_name='pull_request',
        event=event,
        inputs={'commit-author': BOT_AUTHOR, **(inputs or {})},
    )
    env['DAL_BOT_RUNNER'] = 'python'
    env['HOME'] = str(tmp / 'home')
    (tmp / 'home').mkdir(exist_ok=True)
    env.update(kw)
    return Run(tmp, env)
