"""The action's inputs, read once from the environment and validated.

GitHub passes a Docker action's inputs as `INPUT_<NAME>` with the name upper-cased and its
hyphens kept (`INPUT_GITHUB-TOKEN`, `INPUT_FAIL-ON-ERROR`). An empty value means "the
default" (GitHub passes defaults itself, but tests and local runs may not). Any other value
that is not one of the accepted ones fails with a message naming the input; exit code 2.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.errors import BadInput

DEFAULT_AUTHOR = 'dal-bot <dal-bot@users.noreply.github.com>'
_AUTHOR = re.compile(r'^\s*(?P<name>[^<>\n]+?)\s*<(?P<email>[^<>\s]+@[^<>\s]+)>\s*$')
_TRUE = {'true', 'yes', 'on', '1'}
_FALSE = {'false', 'no', 'off', '0'}


class InputError(BadInput):
    """An action input with a value the bot does not accept."""

    def __init__(self, name: str, message: str):
        self.name = name
        super().__init__(f'INPUT_{name.upper()}', message)

    def __str__(self) -> str:
        return f'input `{self.name}` (env INPUT_{self.name.upper()}): {self.message}'


class Inputs(BaseModel):
    """Validated inputs. Field aliases are the input names of action.yml."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra='forbid')

    github_token: str = Field('', alias='github-token', repr=False)
    mode: Literal['pr', 'sweep', 'detect', 'comment', ''] = ''  # '': chosen from the event
    paths: str = '**'
    dynamodb_endpoint: str = Field('', alias='dynamodb-endpoint')
    endpoint_timeout: float = Field(60.0, alias='endpoint-timeout')
    commit: bool = True
    fail_on_error: bool = Field(True, alias='fail-on-error')
    comment_when_clean: bool = Field(True, alias='comment-when-clean')
    commit_author: tuple[str, str] = Field(
        ('dal-bot', 'dal-bot@users.noreply.github.com'), alias='commit-author'
    )
    chunk_size: int = Field(4, alias='chunk-size', ge=3, le=5)
    dry_run: bool = Field(False, alias='dry-run')
    fix_index_keys: bool = Field(True, alias='fix-index-keys')

    @field_validator('mode', mode='before')
    @classmethod
    def _mode(cls, v):
        return v.strip().lower() if isinstance(v, str) else v

    @field_validator(
        'commit', 'fail_on_error', 'comment_when_clean', 'dry_run', 'fix_index_keys', mode='before'
    )
    @classmethod
    def _bool(cls, v):
        if isinstance(v, bool):
            return v
        text = str(v).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"must be 'true' or 'false', got {str(v)!r}")

    @field_validator('commit_author', mode='before')
    @classmethod
    def _author(cls, v):
        if isinstance(v, tuple):
            return v
        m = _AUTHOR.match(str(v))
        if not m:
            raise ValueError(f"must look like 'Name <email@example.com>', got {str(v)!r}")
        return (m['name'], m['email'])

    @field_validator('chunk_size', mode='before')
    @classmethod
    def _chunk(cls, v):
        if isinstance(v, str):
            if not v.strip().isdigit():
                raise ValueError(f'must be a whole number from 3 to 5, got {v!r}')
            return int(v.strip())
        return v

    @field_validator('endpoint_timeout', mode='before')
    @classmethod
    def _seconds(cls, v):
        try:
            seconds = float(str(v).strip())
        except ValueError:
            seconds = 0.0
        if not 0 < seconds <= 3600:  # nan fails this too
            raise ValueError(f'must be a number of seconds from 1 to 3600, got {str(v)!r}')
        return seconds

    @field_validator('dynamodb_endpoint', mode='before')
    @classmethod
    def _endpoint(cls, v):
        v = str(v).strip()
        if v and not re.match(r'^https?://[^\s/]+(/\S*)?$', v):
            raise ValueError(
                f'must be an http(s) URL such as http://dynamodb-local:8000, got {v!r}'
            )
        return v

    @field_validator('paths', mode='before')
    @classmethod
    def _paths(cls, v):
        return str(v).strip() or '**'


INPUT_NAMES = tuple(f.alias or name for name, f in Inputs.model_fields.items())


def read_inputs(env: Mapping[str, str] | None = None, **overrides) -> Inputs:
    """Inputs from `INPUT_<NAME>` variables (empty = default), then `overrides` (by field name).

    The token falls back to `GITHUB_TOKEN`.
    """
    env = os.environ if env is None else env
    raw: dict[str, object] = {}
    for name in INPUT_NAMES:
        value = env.get(f'INPUT_{name.upper()}')
        if value is None:  # some runners replace hyphens with underscores
            value = env.get(f'INPUT_{name.upper().replace("-", "_")}')
        if value is not None and value.strip() != '':
            raw[name] = value
    if 'github-token' not in raw and env.get('GITHUB_TOKEN'):
        raw['github-token'] = env['GITHUB_TOKEN']
    by_alias = {
        Inputs.model_fields[k].alias or k: v for k, v in overrides.items() if v is not None
    }
    raw.update(by_alias)
    try:
        return Inputs.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        field = str(err['loc'][0]) if err['loc'] else '?'
        name = Inputs.model_fields[field].alias if field in Inputs.model_fields else field
        name = name or field
        message = err['msg'].removeprefix('Value error, ')
        if err['type'] == 'literal_error':
            message = f"must be one of 'pr', 'sweep', 'detect', 'comment', got {err['input']!r}"
        elif err['type'] in ('greater_than_equal', 'less_than_equal'):
            message = f'must be 3, 4 or 5 (methods per commit), got {err["input"]!r}'
        raise InputError(name, message) from None
