"""The PyGithub client, configured from the Actions environment, and its errors made plain.

Against GitHub the client keeps PyGithub's politeness (0.25 s between requests, 1 s between
writes) and its `GithubRetry` (5xx and rate limits with their reset headers), capped so a
rate limit whose reset is far away fails with a clear message instead of hanging the job.
`DAL_BOT_GITHUB_THROTTLE=0` turns the pauses and backoffs off (the local stand-in in tests).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping

from bot.errors import InfrastructureError

DEFAULT_API_URL = 'https://api.github.com'


def throttled(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get('DAL_BOT_GITHUB_THROTTLE', '1').strip().lower() not in (
        '0',
        'false',
        'no',
        'off',
    )


def make_retry(throttle: bool = True):
    from github import GithubRetry
    from urllib3.util.retry import Retry

    methods = Retry.DEFAULT_ALLOWED_METHODS | {'GET', 'POST', 'PATCH'}
    if throttle:
        return GithubRetry(
            total=6,
            backoff_factor=1.0,
            secondary_rate_wait=60,
            max_rate_limit_wait=900,
            allowed_methods=methods,
        )
    return GithubRetry(
        total=4,
        backoff_factor=0,
        secondary_rate_wait=1,
        max_rate_limit_wait=10,
        allowed_methods=methods,
    )


def make_github(token: str, api_url: str | None = None, env: Mapping[str, str] | None = None):
    """A `github.Github` for `api_url` (`$GITHUB_API_URL`, GitHub Enterprise included)."""
    from github import Auth, Github

    env = os.environ if env is None else env
    if not token:
        raise InfrastructureError(
            'no GitHub token: set the `github-token` input (default: the workflow GITHUB_TOKEN)'
        )
    throttle = throttled(env)
    return Github(
        base_url=(api_url or env.get('GITHUB_API_URL') or DEFAULT_API_URL).rstrip('/'),
        auth=Auth.Token(token),
        timeout=30,
        user_agent='dal-bot',
        seconds_between_requests=0.25 if throttle else None,
        seconds_between_writes=1.0 if throttle else None,
        retry=make_retry(throttle),
    )


_HINTS = {
    401: 'the token is invalid or expired (input `github-token`)',
    403: 'the token lacks a permission (the workflow needs `contents: write` and '
    '`pull-requests: write`; pull requests from forks get a read-only token)',
    404: 'not found, or not visible to this token',
    422: 'GitHub refused the request as invalid',
}


def describe(error: BaseException, doing: str) -> str:
    """One line for a failed API call: what we were doing, the status and a hint."""
    from github import GithubException, RateLimitExceededException

    if isinstance(error, RateLimitExceededException):
        reset = (error.headers or {}).get('x-ratelimit-reset')
        when = f' (resets at epoch {reset})' if reset else ''
        return f'GitHub API rate limit exceeded while {doing}{when}; retry later'
    if isinstance(error, GithubException):
        data = error.data if isinstance(error.data, dict) else {}
        message = data.get('message') or str(error.data or '')
        hint = _HINTS.get(error.status) or (
            'GitHub had a server error (retried)' if error.status >= 500 else ''
        )
        return f'GitHub API error {error.status} while {doing}: {message}' + (
            f' — {hint}' if hint else ''
        )
    import requests

    if isinstance(error, requests.exceptions.RetryError):
        reason = getattr(error.args[0], 'reason', None) if error.args else None
        return f'GitHub API kept failing while {doing} (gave up after retries: {reason or error})'
    return f'GitHub API unreachable while {doing}: {type(error).__name__}: {error}'


def api_errors() -> tuple[type[BaseException], ...]:
    import requests
    from github import GithubException

    return (GithubException, requests.exceptions.RequestException)


@contextlib.contextmanager
def api_call(doing: str) -> Iterator[None]:
    """Turn any PyGithub / transport failure into an InfrastructureError naming `doing`."""
    try:
        yield
    except api_errors() as e:
        raise InfrastructureError(describe(e, doing)) from e
