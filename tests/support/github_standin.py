"""A small local stand-in for the GitHub REST API, for PyGithub pointed at it with `base_url`.

    with GitHubStandIn(repo='owner/name', default_branch='main') as gh:
        gh.add_pull(7, head_ref='feature', head_sha=sha, base_sha=base)
        ...  # run the bot with GITHUB_API_URL=gh.url
        gh.comments(7), gh.pulls, gh.requests, gh.labels(7)
        gh.add_artifact(run_id, 'name', zip_bytes)  # a workflow run's artifact (Actions API)

It answers the endpoints the bot uses, keeps an in-memory state (repositories, pull requests,
issue comments, labels), records every request (`gh.requests`: method, path, query, JSON body,
headers) and can inject failures (`gh.fail_next(...)`, `gh.rate_limit_next(...)`). Unknown
requests are printed to stderr, recorded in `gh.unknown` and answered 404.
Serves on 127.0.0.1, a free port, in a daemon thread (stdlib http.server).
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BOT_LOGIN = 'github-actions[bot]'


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    status: int = 0

    def __repr__(self) -> str:
        return f'{self.method} {self.path} -> {self.status}'


@dataclass
class Failure:
    status: int
    body: dict
    headers: dict[str, str]
    method: str | None = None
    path: str | None = None  # regex, searched in the request path
    count: int = 1

    def applies(self, method: str, path: str) -> bool:
        if self.method and self.method != method:
            return False
        return not self.path or re.search(self.path, path) is not None


@dataclass
class _State:
    repos: dict[str, dict] = field(default_factory=dict)
    pulls: dict[str, dict[int, dict]] = field(default_factory=dict)  # repo -> number -> pull
    comments: dict[int, dict] = field(default_factory=dict)  # id -> comment (with _repo, _issue)
    labels: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    files: dict[tuple[str, int], list[dict]] = field(default_factory=dict)
    runs: dict[int, dict] = field(default_factory=dict)  # workflow runs by id
    artifacts: dict[int, dict] = field(default_factory=dict)  # id -> artifact (with _zip bytes)
    next_artifact_id: int = 501
    next_comment_id: int = 1001
    next_number: int = 1


class GitHubStandIn:
    def __init__(
        self,
        repo: str = 'owner/name',
        default_branch: str = 'main',
        *,
        token: str | None = None,
        prefix: str = '',
    ):
        """`token`: when set, requests with another token get 401 (like a bad token).
        `prefix`: a path prefix such as '/api/v3' (GitHub Enterprise's layout)."""
        self.repo = repo
        self.default_branch = default_branch
        self.token = token
        self.prefix = prefix.rstrip('/')
        self.requests: list[Request] = []
        self.unknown: list[Request] = []
        self._failures: list[Failure] = []
        self._state = _State()
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.add_repo(repo, default_branch)

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self) -> GitHubStandIn:
        standin = self

        class Handler(_Handler):
            gh = standin

        self._server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> GitHubStandIn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server, 'not started'
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The API base URL: give it to PyGithub (`base_url`) / the bot (`GITHUB_API_URL`)."""
        return f'http://127.0.0.1:{self.port}{self.prefix}'

    # ---- state set-up ----------------------------------------------------------------------
    def add_repo(self, full_name: str, default_branch: str = 'main', **extra) -> dict:
        with self._lock:
            owner, name = full_name.split('/')
            self._state.repos[full_name] = {
                'full_name': full_name,
                'name': name,
                'owner': {'login': owner, 'type': 'User'},
                'default_branch': default_branch,
                'private': False,
                'fork': extra.pop('fork', False),
                **extra,
            }
            self._state.pulls.setdefault(full_name, {})
            return self._state.repos[full_name]

    def add_pull(
        self,
        number: int,
        head_ref: str,
        head_repo: str | None = None,
        base_ref: str | None = None,
        *,
        head_sha: str = '0' * 40,
        base_sha: str = '0' * 40,
        title: str = 'A pull request',
        body: str = '',
        state: str = 'open',
        user: str = 'octocat',
        files: list[str] | None = None,
        repo: str | None = None,
    ) -> dict:
        """A pull request on `repo` (default: the stand-in's repo) from `head_repo:head_ref`."""
        repo = repo or self.repo
        head_repo = head_repo or repo
        if head_repo not in self._state.repos:
            self.add_repo(head_repo, fork=head_repo != repo)
        with self._lock:
            pull = {
                'number': number,
                'state': state,
                'title': title,
                'body': body,
                'user': {'login': user, 'type': 'User'},
                'draft': False,
                'merged': False,
                'head': {
                    'ref': head_ref,
                    'sha': head_sha,
                    'label': f'{head_repo.split("/")[0]}:{head_ref}',
                    '_repo': head_repo,
                },
                'base': {
                    'ref': base_ref or self._state.repos[repo]['default_branch'],
                    'sha': base_sha,
                    'label': f'{repo.split("/")[0]}:{base_ref or self.default_branch}',
                    '_repo': repo,
                },
            }
            self._state.pulls[repo][number] = pull
            self._state.next_number = max(self._state.next_number, number + 1)
            if files is not None:
                self._state.files[(repo, number)] = [
                    {'filename': f, 'status': 'modified', 'sha': '0' * 40} for f in files
                ]
            return self._pull_json(repo, pull)

    def add_artifact(
        self,
        run_id: int,
        name: str,
        data: bytes,
        *,
        head_sha: str = '0' * 40,
        size: int | None = None,
        expired: bool = False,
        repo: str | None = None,
    ) -> dict:
        """An artifact of workflow run `run_id` (created with the run when new). `data` is the
        zip GitHub serves; `size` overrides the `size_in_bytes` it reports. The download URL
        answers 302 to a blob URL of the stand-in, as GitHub redirects to its storage."""
        repo = repo or self.repo
        with self._lock:
            self._state.runs.setdefault(
                run_id,
                {'id': run_id, 'head_sha': head_sha, 'event': 'pull_request', '_repo': repo},
            )
            aid = self._state.next_artifact_id
            self._state.next_artifact_id += 1
            self._state.artifacts[aid] = {
                'id': aid,
                'name': name,
                'size_in_bytes': len(data) if size is None else size,
                'expired': expired,
                '_run': run_id,
                '_repo': repo,
                '_zip': data,
            }
            return self._artifact_json(self._state.artifacts[aid])

    def add_comment(self, number: int, body: str, user: str = 'octocat', repo: str | None = None):
        with self._lock:
            return self._create_comment(repo or self.repo, number, body, user)

    def fail_next(
        self,
        count: int = 1,
        status: int = 502,
        *,
        method: str | None = None,
        path: str | None = None,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next `count` matching requests answer `status` (matching: method, path regex)."""
        body = {'message': message or _REASONS.get(status, 'Error')}
        with self._lock:
            self._failures.append(Failure(status, body, headers or {}, method, path, count))

    def rate_limit_next(self, count: int = 1, reset_in: float = 1.0, **match) -> None:
        """A primary rate limit: 403, X-RateLimit-Remaining 0, X-RateLimit-Reset soon."""
        reset = str(int(time.time() + reset_in))
        self.fail_next(
            count,
            403,
            message='API rate limit exceeded for installation ID 1.',
            headers={
                'X-RateLimit-Limit': '5000',
                'X-RateLimit-Remaining': '0',
                'X-RateLimit-Reset': reset,
                'X-RateLimit-Resource': 'core',
            },
            **match,
        )

    # ---- views for assertions --------------------------------------------------------------
    def comments(self, number: int, repo: str | None = None) -> list[dict]:
        repo = repo or self.repo
        with self._lock:
            return [
                self._comment_json(c)
                for c in self._state.comments.values()
                if c['_repo'] == repo and c['_issue'] == number
            ]

    @property
    def pulls(self) -> list[dict]:
        with self._lock:
            return [self._pull_json(self.repo, p) for p in self._state.pulls[self.repo].values()]

    def pull(self, number: int) -> dict:
        with self._lock:
            return self._pull_json(self.repo, self._state.pulls[self.repo][number])

    def labels(self, number: int, repo: str | None = None) -> list[str]:
        with self._lock:
            return list(self._state.labels.get((repo or self.repo, number), []))

    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method in ('POST', 'PATCH', 'PUT', 'DELETE')]

    # ---- JSON shapes -----------------------------------------------------------------------
    def _base(self) -> str:
        return self.url

    def _repo_json(self, full_name: str) -> dict:
        r = dict(self._state.repos[full_name])
        b = self._base()
        r.update(
            url=f'{b}/repos/{full_name}',
            html_url=f'https://github.example/{full_name}',
            clone_url=f'https://github.example/{full_name}.git',
            pulls_url=f'{b}/repos/{full_name}/pulls{{/number}}',
            id=abs(hash(full_name)) % 10**8,
        )
        return r

    def _pull_json(self, repo: str, p: dict) -> dict:
        b = self._base()
        out = {k: v for k, v in p.items() if k not in ('head', 'base')}
        n = p['number']
        out.update(
            id=n * 1000,
            url=f'{b}/repos/{repo}/pulls/{n}',
            html_url=f'https://github.example/{repo}/pull/{n}',
            issue_url=f'{b}/repos/{repo}/issues/{n}',
            comments_url=f'{b}/repos/{repo}/issues/{n}/comments',
            labels=[{'name': label} for label in self._state.labels.get((repo, n), [])],
        )
        for side in ('head', 'base'):
            s = {k: v for k, v in p[side].items() if k != '_repo'}
            s['repo'] = self._repo_json(p[side]['_repo'])
            out[side] = s
        return out

    def _artifact_json(self, a: dict) -> dict:
        b = self._base()
        out = {k: v for k, v in a.items() if not k.startswith('_')}
        out.update(
            url=f'{b}/repos/{a["_repo"]}/actions/artifacts/{a["id"]}',
            archive_download_url=f'{b}/repos/{a["_repo"]}/actions/artifacts/{a["id"]}/zip',
            workflow_run={'id': a['_run']},
        )
        return out

    def _comment_json(self, c: dict) -> dict:
        b = self._base()
        out = {k: v for k, v in c.items() if not k.startswith('_')}
        out.update(
            url=f'{b}/repos/{c["_repo"]}/issues/comments/{c["id"]}',
            html_url=f'https://github.example/{c["_repo"]}/pull/{c["_issue"]}#issuecomment-{c["id"]}',
            issue_url=f'{b}/repos/{c["_repo"]}/issues/{c["_issue"]}',
        )
        return out

    def _create_comment(self, repo: str, number: int, body: str, user: str) -> dict:
        cid = self._state.next_comment_id
        self._state.next_comment_id += 1
        now = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
        c = {
            'id': cid,
            'body': body,
            'user': {'login': user, 'type': 'Bot' if user.endswith('[bot]') else 'User'},
            'created_at': now,
            'updated_at': now,
            '_repo': repo,
            '_issue': number,
        }
        self._state.comments[cid] = c
        return self._comment_json(c)

    # ---- routing ---------------------------------------------------------------------------
    def _take_failure(self, method: str, path: str) -> Failure | None:
        with self._lock:
            for f in self._failures:
                if f.count > 0 and f.applies(method, path):
                    f.count -= 1
                    return f
        return None

    def handle(self, req: Request) -> tuple[int, Any, dict[str, str]]:
        failure = self._take_failure(req.method, req.path)
        if failure:
            return failure.status, failure.body, failure.headers
        blob = _BLOB.fullmatch(req.path)
        if blob and req.method == 'GET':
            with self._lock:
                return self._blob(req, **blob.groupdict())
        if self.token is not None:
            auth = req.headers.get('authorization', '')
            if auth not in (f'token {self.token}', f'Bearer {self.token}'):
                return 401, {'message': 'Bad credentials'}, {}
        path = req.path
        if self.prefix:
            if not path.startswith(self.prefix + '/'):
                return self._unknown(req)
            path = path[len(self.prefix) :]
        for method, pattern, fn in _ROUTES:
            if method != req.method:
                continue
            m = re.fullmatch(pattern, path)
            if m:
                with self._lock:
                    return fn(self, req, **m.groupdict())
        return self._unknown(req)

    def _unknown(self, req: Request):
        self.unknown.append(req)
        print(f'GitHubStandIn: UNKNOWN REQUEST {req.method} {req.path}', file=sys.stderr)
        return 404, {'message': 'Not Found (stand-in does not know this endpoint)'}, {}

    def _repo_or_404(self, owner: str, name: str):
        full = f'{owner}/{name}'
        return full if full in self._state.repos else None

    # handlers: (self, req, **groups) -> (status, body, headers)
    def _get_repo(self, req, owner, name):
        full = self._repo_or_404(owner, name)
        if not full:
            return _not_found()
        return 200, self._repo_json(full), {}

    def _get_pull(self, req, owner, name, number):
        full = self._repo_or_404(owner, name)
        pull = full and self._state.pulls[full].get(int(number))
        if not pull:
            return _not_found()
        return 200, self._pull_json(full, pull), {}

    def _patch_pull(self, req, owner, name, number):
        full = self._repo_or_404(owner, name)
        pull = full and self._state.pulls[full].get(int(number))
        if not pull:
            return _not_found()
        for key in ('title', 'body', 'state'):
            if isinstance(req.body, dict) and key in req.body:
                pull[key] = req.body[key]
        return 200, self._pull_json(full, pull), {}

    def _list_pulls(self, req, owner, name):
        full = self._repo_or_404(owner, name)
        if not full:
            return _not_found()
        state = req.query.get('state', 'open')
        head = req.query.get('head')
        base = req.query.get('base')
        result = []
        for p in self._state.pulls[full].values():
            if state != 'all' and p['state'] != state:
                continue
            if head and head != p['head']['label']:
                continue
            if base and base != p['base']['ref']:
                continue
            result.append(self._pull_json(full, p))
        return self._page(req, result)

    def _create_pull(self, req, owner, name):
        full = self._repo_or_404(owner, name)
        if not full:
            return _not_found()
        body = req.body or {}
        missing = [k for k in ('head', 'base') if not body.get(k)]
        if missing or not (body.get('title') or body.get('issue')):
            return 422, {'message': 'Validation Failed', 'errors': [{'field': missing}]}, {}
        head = body['head']
        head_ref = head.split(':', 1)[-1]
        head_label = head if ':' in head else f'{owner}:{head}'
        for p in self._state.pulls[full].values():
            if p['state'] == 'open' and p['head']['label'] == head_label:
                if p['base']['ref'] == body['base']:
                    msg = f'A pull request already exists for {head_label}.'
                    return 422, {'message': 'Validation Failed', 'errors': [{'message': msg}]}, {}
        number = self._state.next_number
        self.add_pull(
            number,
            head_ref,
            base_ref=body['base'],
            title=body.get('title', ''),
            body=body.get('body') or '',
            user=BOT_LOGIN,
            repo=full,
        )
        return 201, self._pull_json(full, self._state.pulls[full][number]), {}

    def _pull_files(self, req, owner, name, number):
        full = self._repo_or_404(owner, name)
        if not full or int(number) not in self._state.pulls[full]:
            return _not_found()
        return self._page(req, list(self._state.files.get((full, int(number)), [])))

    def _issue_exists(self, owner, name, number):
        full = self._repo_or_404(owner, name)
        return full if full and int(number) in self._state.pulls[full] else None

    def _list_comments(self, req, owner, name, number):
        full = self._issue_exists(owner, name, number)
        if not full:
            return _not_found()
        return self._page(req, self.comments(int(number), full))

    def _create_comment_route(self, req, owner, name, number):
        full = self._issue_exists(owner, name, number)
        if not full:
            return _not_found()
        body = (req.body or {}).get('body')
        if not isinstance(body, str) or not body:
            return 422, {'message': 'Validation Failed'}, {}
        if len(body) > 65536:
            return (
                422,
                {'message': 'Validation Failed', 'errors': [{'message': 'body is too long'}]},
                {},
            )
        return 201, self._create_comment(full, int(number), body, BOT_LOGIN), {}

    def _get_comment(self, req, owner, name, cid):
        c = self._state.comments.get(int(cid))
        if not c or c['_repo'] != f'{owner}/{name}':
            return _not_found()
        return 200, self._comment_json(c), {}

    def _patch_comment(self, req, owner, name, cid):
        c = self._state.comments.get(int(cid))
        if not c or c['_repo'] != f'{owner}/{name}':
            return _not_found()
        body = (req.body or {}).get('body')
        if not isinstance(body, str) or not body or len(body) > 65536:
            return 422, {'message': 'Validation Failed'}, {}
        c['body'] = body
        c['updated_at'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
        return 200, self._comment_json(c), {}

    def _add_labels(self, req, owner, name, number):
        full = self._issue_exists(owner, name, number)
        if not full:
            return _not_found()
        body = req.body or {}
        new = body.get('labels', []) if isinstance(body, dict) else body
        labels = self._state.labels.setdefault((full, int(number)), [])
        for label in new:
            label = label['name'] if isinstance(label, dict) else label
            if label not in labels:
                labels.append(label)
        return 200, [{'name': label, 'color': 'ededed'} for label in labels], {}

    def _get_labels(self, req, owner, name, number):
        full = self._issue_exists(owner, name, number)
        if not full:
            return _not_found()
        labels = self._state.labels.get((full, int(number)), [])
        return self._page(req, [{'name': label} for label in labels])

    def _get_run(self, req, owner, name, run_id):
        run = self._state.runs.get(int(run_id))
        if not run or run['_repo'] != f'{owner}/{name}':
            return _not_found()
        out = {k: v for k, v in run.items() if not k.startswith('_')}
        b = self._base()
        out.update(
            url=f'{b}/repos/{owner}/{name}/actions/runs/{run_id}',
            artifacts_url=f'{b}/repos/{owner}/{name}/actions/runs/{run_id}/artifacts',
        )
        return 200, out, {}

    def _list_artifacts(self, req, owner, name, run_id):
        if int(run_id) not in self._state.runs:
            return _not_found()
        found = [
            self._artifact_json(a)
            for a in self._state.artifacts.values()
            if a['_run'] == int(run_id) and a['_repo'] == f'{owner}/{name}'
        ]
        return 200, {'total_count': len(found), 'artifacts': found}, {}

    def _artifact_zip(self, req, owner, name, aid):
        a = self._state.artifacts.get(int(aid))
        if not a or a['_repo'] != f'{owner}/{name}':
            return _not_found()
        if a['expired']:
            return 410, {'message': 'Artifact has expired'}, {}
        return 302, None, {'Location': f'http://127.0.0.1:{self.port}/_blob/artifact-{aid}.zip'}

    def _blob(self, req, aid):
        a = self._state.artifacts.get(int(aid))
        return (200, a['_zip'], {'Content-Type': 'application/zip'}) if a else _not_found()

    def _rate_limit(self, req):
        core = {'limit': 5000, 'remaining': 4999, 'reset': int(time.time()) + 3600, 'used': 1}
        return 200, {'resources': {'core': core}, 'rate': core}, {}

    def _page(self, req, items: list) -> tuple[int, Any, dict[str, str]]:
        per_page = int(req.query.get('per_page', 30))
        page = int(req.query.get('page', 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            q = dict(req.query, page=str(page + 1), per_page=str(per_page))
            query = '&'.join(f'{k}={v}' for k, v in q.items())
            headers['Link'] = f'<{self.url}{req.path[len(self.prefix) :]}?{query}>; rel="next"'
        return 200, chunk, headers


_O = r'(?P<owner>[^/]+)/(?P<name>[^/]+)'
_ROUTES = [
    ('GET', rf'/repos/{_O}', GitHubStandIn._get_repo),
    ('GET', rf'/repos/{_O}/pulls', GitHubStandIn._list_pulls),
    ('POST', rf'/repos/{_O}/pulls', GitHubStandIn._create_pull),
    ('GET', rf'/repos/{_O}/pulls/(?P<number>\d+)', GitHubStandIn._get_pull),
    ('PATCH', rf'/repos/{_O}/pulls/(?P<number>\d+)', GitHubStandIn._patch_pull),
    ('GET', rf'/repos/{_O}/pulls/(?P<number>\d+)/files', GitHubStandIn._pull_files),
    ('GET', rf'/repos/{_O}/issues/(?P<number>\d+)/comments', GitHubStandIn._list_comments),
    ('POST', rf'/repos/{_O}/issues/(?P<number>\d+)/comments', GitHubStandIn._create_comment_route),
    ('GET', rf'/repos/{_O}/issues/comments/(?P<cid>\d+)', GitHubStandIn._get_comment),
    ('PATCH', rf'/repos/{_O}/issues/comments/(?P<cid>\d+)', GitHubStandIn._patch_comment),
    ('POST', rf'/repos/{_O}/issues/(?P<number>\d+)/labels', GitHubStandIn._add_labels),
    ('GET', rf'/repos/{_O}/issues/(?P<number>\d+)/labels', GitHubStandIn._get_labels),
    ('GET', r'/rate_limit', GitHubStandIn._rate_limit),
    ('GET', rf'/repos/{_O}/actions/runs/(?P<run_id>\d+)', GitHubStandIn._get_run),
    ('GET', rf'/repos/{_O}/actions/runs/(?P<run_id>\d+)/artifacts', GitHubStandIn._list_artifacts),
    ('GET', rf'/repos/{_O}/actions/artifacts/(?P<aid>\d+)/zip', GitHubStandIn._artifact_zip),
]
# Served outside the API prefix, without authentication (GitHub's blob storage).
_BLOB = re.compile(r'/_blob/artifact-(?P<aid>\d+)\.zip')

_REASONS = {
    401: 'Bad credentials',
    403: 'Resource not accessible by integration',
    404: 'Not Found',
    422: 'Validation Failed',
    500: 'Internal Server Error',
    502: 'Server Error',
    503: 'Service Unavailable',
}


def _not_found():
    return 404, {'message': 'Not Found'}, {}


class _Handler(BaseHTTPRequestHandler):
    gh: GitHubStandIn
    protocol_version = 'HTTP/1.1'

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length else b''
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode('utf-8', 'replace')
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        req = Request(
            self.command, split.path, query, body, {k.lower(): v for k, v in self.headers.items()}
        )
        self.gh.requests.append(req)
        try:
            status, payload, headers = self.gh.handle(req)
        except Exception as e:  # a bug in the stand-in: make it loud
            print(f'GitHubStandIn: error handling {req.method} {req.path}: {e!r}', file=sys.stderr)
            status, payload, headers = 500, {'message': f'stand-in error: {e!r}'}, {}
        req.status = status
        raw = isinstance(payload, bytes)
        data = payload if raw else b'' if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if not raw:
            self.send_header('Content-Type', 'application/json; charset=utf-8')
        self.send_header('Content-Length', str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve
