"""Event payloads shaped like GitHub's, and the environment a Docker action step gets."""

from __future__ import annotations

import json
from pathlib import Path


def _repo(full_name: str, default_branch: str = 'main', fork: bool = False) -> dict:
    owner, name = full_name.split('/')
    return {
        'id': abs(hash(full_name)) % 10**8,
        'name': name,
        'full_name': full_name,
        'owner': {'login': owner, 'type': 'User'},
        'private': False,
        'fork': fork,
        'default_branch': default_branch,
        'html_url': f'https://github.com/{full_name}',
        'clone_url': f'https://github.com/{full_name}.git',
    }


def pull_request_event(
    *,
    repo: str,
    number: int,
    head_ref: str,
    head_sha: str,
    base_sha: str,
    base_ref: str = 'main',
    head_repo: str | None = None,
    action: str = 'synchronize',
    title: str = 'Add generated DALs',
    user: str = 'octocat',
) -> dict:
    head_repo = head_repo or repo
    return {
        'action': action,
        'number': number,
        'pull_request': {
            'number': number,
            'state': 'open',
            'title': title,
            'user': {'login': user, 'type': 'User'},
            'head': {
                'ref': head_ref,
                'sha': head_sha,
                'label': f'{head_repo.split("/")[0]}:{head_ref}',
                'repo': _repo(head_repo, fork=head_repo != repo),
            },
            'base': {
                'ref': base_ref,
                'sha': base_sha,
                'label': f'{repo.split("/")[0]}:{base_ref}',
                'repo': _repo(repo, base_ref),
            },
        },
        'repository': _repo(repo, base_ref),
        'sender': {'login': user, 'type': 'User'},
    }


def schedule_event(repo: str, cron: str = '17 4 * * 1', default_branch: str = 'main') -> dict:
    return {'schedule': cron, 'repository': _repo(repo, default_branch)}


def workflow_dispatch_event(
    repo: str, ref: str = 'refs/heads/main', inputs: dict | None = None
) -> dict:
    return {
        'inputs': inputs or {},
        'ref': ref,
        'repository': _repo(repo, ref.removeprefix('refs/heads/')),
        'sender': {'login': 'octocat', 'type': 'User'},
    }


def workflow_run_event(
    *,
    repo: str,
    run_id: int,
    head_sha: str,
    head_branch: str,
    head_repo: str | None = None,
    pull_numbers: tuple[int, ...] = (),
    event: str = 'pull_request',
    conclusion: str = 'success',
) -> dict:
    """`workflow_run` (completed) of the pull_request workflow. GitHub lists the run's pull
    requests only when they come from the same repository: for a fork, `pull_requests` is
    empty."""
    head_repo = head_repo or repo
    return {
        'action': 'completed',
        'workflow_run': {
            'id': run_id,
            'name': 'dal-bot',
            'event': event,
            'status': 'completed',
            'conclusion': conclusion,
            'head_sha': head_sha,
            'head_branch': head_branch,
            'head_repository': _repo(head_repo, fork=head_repo != repo),
            'repository': _repo(repo),
            'pull_requests': [
                {'number': n, 'head': {'sha': head_sha, 'ref': head_branch}} for n in pull_numbers
            ],
        },
        'repository': _repo(repo),
        'sender': {'login': 'octocat', 'type': 'User'},
    }


def action_env(
    tmp: Path,
    *,
    api_url: str,
    workspace: Path,
    repo: str,
    event_name: str,
    event: dict,
    token: str = 'ghs_testtoken',
    inputs: dict[str, str] | None = None,
    sha: str = '',
    ref: str = '',
) -> dict[str, str]:
    """The variables GitHub gives a Docker action step (files for outputs and the summary
    are created in `tmp`). `inputs` by input name, e.g. {'chunk-size': '3'}."""
    tmp.mkdir(parents=True, exist_ok=True)
    event_path = tmp / 'event.json'
    event_path.write_text(json.dumps(event))
    for name in ('output', 'summary'):
        (tmp / name).touch()
    runner_temp = tmp / 'runner_temp'
    runner_temp.mkdir(exist_ok=True)
    env = {
        'GITHUB_ACTIONS': 'true',
        'CI': 'true',
        'GITHUB_EVENT_NAME': event_name,
        'GITHUB_EVENT_PATH': str(event_path),
        'GITHUB_REPOSITORY': repo,
        'GITHUB_API_URL': api_url,
        'GITHUB_SERVER_URL': 'https://github.com',
        'GITHUB_WORKSPACE': str(workspace),
        'GITHUB_OUTPUT': str(tmp / 'output'),
        'GITHUB_STEP_SUMMARY': str(tmp / 'summary'),
        'GITHUB_SHA': sha,
        'GITHUB_REF': ref,
        'RUNNER_TEMP': str(runner_temp),
        'INPUT_GITHUB-TOKEN': token,
        'DAL_BOT_GITHUB_THROTTLE': '0',
    }
    for name, value in (inputs or {}).items():
        env[f'INPUT_{name.upper()}'] = value
    return env
