"""What one action run did, per DAL and overall: the value the comment, the summary, the
outputs, the annotations and the JSON report are rendered from."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from bot.implement._models import CommitInfo, ImplementResult
from bot.verify import VerifyResult

PushStatus = Literal[
    'pushed',  # the bot's commits are on the branch
    'nothing',  # no commits to push
    'not-pushed',  # fork / commit: false / dry run: the patch is in the report instead
    'branch-moved',  # the branch moved twice while the bot worked: stopped
    'push-failed',  # the push failed for another reason (permissions, protection)
]


class Location(BaseModel):
    file: str  # relative to the repository root
    line: int


class DalOutcome(BaseModel):
    dal: str  # folder, relative to the repository root
    implement: ImplementResult | None = None
    verify: VerifyResult | None = None
    error: str | None = None  # the DAL could not be worked on (bad input, infrastructure)
    locations: dict[str, Location] = {}  # 'Owner.method' -> where it is (for annotations)
    branch: str | None = None  # sweep: the bot's branch for this DAL
    pull_url: str | None = None  # sweep: the PR opened or updated
    pull_number: int | None = None
    action: str = ''  # sweep: what happened ('created PR', 'updated PR', 'nothing to do', ...)

    @property
    def commits(self) -> list[CommitInfo]:
        return list(self.implement.commits) if self.implement else []

    @property
    def implemented(self) -> int:
        return len(self.implement.implemented) if self.implement else 0

    @property
    def patterns_ok(self) -> int:
        return sum(p.status == 'ok' for p in self.verify.patterns) if self.verify else 0

    @property
    def patterns_failed(self) -> int:
        """Not ok for a reason of the DAL's (unsupported ones are the engine's: counted apart)."""
        if not self.verify:
            return 0
        return sum(p.status not in ('ok', 'unsupported') for p in self.verify.patterns)

    @property
    def patterns_unsupported(self) -> int:
        if not self.verify:
            return 0
        return sum(p.status == 'unsupported' for p in self.verify.patterns)

    @property
    def ok(self) -> bool:
        if self.error:
            return False
        if self.implement and (self.implement.left or self.implement.not_pushed):
            return False
        return self.verify.ok if self.verify else True


class RunReport(BaseModel):
    mode: Literal['pr', 'fork', 'report-only', 'sweep']
    repository: str
    event: str = ''
    pull_number: int | None = None
    branch: str | None = None
    head_sha: str | None = None  # the commit the DALs were verified at
    outcomes: list[DalOutcome] = []
    push: PushStatus = 'nothing'
    push_message: str = ''
    patch: str = ''  # fork / report-only: the bot's commits as a git am-able patch
    patch_file: str | None = None  # when the patch was too large for the comment
    notes: list[str] = []
    dry_run: bool = False

    @property
    def dals(self) -> list[str]:
        return [o.dal for o in self.outcomes]

    @property
    def implemented(self) -> int:
        return sum(o.implemented for o in self.outcomes)

    @property
    def patterns_ok(self) -> int:
        return sum(o.patterns_ok for o in self.outcomes)

    @property
    def patterns_failed(self) -> int:
        return sum(o.patterns_failed for o in self.outcomes)

    @property
    def patterns_unsupported(self) -> int:
        return sum(o.patterns_unsupported for o in self.outcomes)

    @property
    def commits(self) -> list[CommitInfo]:
        return [c for o in self.outcomes for c in o.commits]

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes) and self.push not in (
            'branch-moved',
            'push-failed',
        )

    @property
    def clean(self) -> bool:
        """Nothing to do: nothing implemented, nothing failed (or no DAL at all)."""
        return self.ok and not self.commits and not self.implemented

    def outputs(self, report_path: str) -> dict[str, Any]:
        return {
            'dals': self.dals,
            'implemented': str(self.implemented),
            'patterns-ok': str(self.patterns_ok),
            'patterns-failed': str(self.patterns_failed),
            'patterns-unsupported': str(self.patterns_unsupported),
            'report': report_path,
        }

    @classmethod
    def from_json_dict(cls, data: Any) -> RunReport:
        """The report `to_json_dict` wrote, validated field by field (pydantic): the comment
        mode reads it from an artifact a pull request's run produced, so it is untrusted.
        Raises ValueError naming what is wrong."""
        from pydantic import ValidationError

        if not isinstance(data, dict):
            raise ValueError('the report is not a JSON object')
        if data.get('schema') != 'dal-bot/action' or data.get('version') != 1:
            raise ValueError(
                f'not a dal-bot/action version 1 report (schema {data.get("schema")!r}, '
                f'version {data.get("version")!r})'
            )
        try:
            dals = data.get('dals')
            if not isinstance(dals, list):
                raise ValueError('`dals` is not a list')
            outcomes = [
                DalOutcome(
                    dal=d['dal'],
                    error=d.get('error'),
                    implement=ImplementResult.model_validate(d['implement'])
                    if d.get('implement') is not None
                    else None,
                    verify=VerifyResult.model_validate(d['verify'])
                    if d.get('verify') is not None
                    else None,
                )
                for d in dals
            ]
            return cls(
                mode=data['mode'],
                repository=data['repository'],
                event=data.get('event') or '',
                pull_number=data.get('pull_number'),
                branch=data.get('branch'),
                head_sha=data.get('head_sha'),
                outcomes=outcomes,
                push=data['push'],
                push_message=data.get('push_message') or '',
                notes=data.get('notes') or [],
            )
        except ValidationError as e:
            err = e.errors()[0]
            where = '.'.join(str(x) for x in err['loc'])
            raise ValueError(f'{where}: {err["msg"]}') from None
        except (KeyError, TypeError) as e:
            raise ValueError(f'malformed report: {type(e).__name__}: {e}') from None

    def to_json_dict(self) -> dict[str, Any]:
        from bot.report import to_dict

        return {
            'schema': 'dal-bot/action',
            'version': 1,
            'mode': self.mode,
            'repository': self.repository,
            'event': self.event,
            'pull_number': self.pull_number,
            'branch': self.branch,
            'head_sha': self.head_sha,
            'ok': self.ok,
            'dry_run': self.dry_run,
            'push': self.push,
            'push_message': self.push_message,
            'patch_file': self.patch_file,
            'implemented': self.implemented,
            'patterns_ok': self.patterns_ok,
            'patterns_failed': self.patterns_failed,
            'patterns_unsupported': self.patterns_unsupported,
            'notes': self.notes,
            'dals': [
                {
                    'dal': o.dal,
                    'ok': o.ok,
                    'error': o.error,
                    'branch': o.branch,
                    'pull_number': o.pull_number,
                    'pull_url': o.pull_url,
                    'action': o.action,
                    'implement': o.implement.model_dump(mode='json') if o.implement else None,
                    'verify': to_dict(o.verify, include_output=False) if o.verify else None,
                }
                for o in self.outcomes
            ],
        }
