"""Everything a run reads from the Actions environment, read once."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import BadInput
from bot.github.inputs import Inputs, read_inputs


@dataclass
class Context:
    env: Mapping[str, str]
    inputs: Inputs
    workspace: Path
    event_name: str
    event: dict[str, Any]
    repository: str
    api_url: str
    runner: str = 'uv'  # how verify runs usage_examples.py: 'uv' or 'python'
    timeout: float = 120.0
    extra: dict[str, Any] = field(default_factory=dict)
    _backend: Any = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **input_overrides) -> Context:
        env = dict(os.environ if env is None else env)
        inputs = read_inputs(env, **input_overrides)
        event: dict[str, Any] = {}
        event_path = env.get('GITHUB_EVENT_PATH')
        if event_path:
            try:
                with open(event_path, encoding='utf-8') as f:
                    event = json.load(f)
            except (OSError, ValueError) as e:
                raise BadInput(event_path, f'cannot read the event payload: {e}') from e
            if not isinstance(event, dict):
                raise BadInput(event_path, 'the event payload is not a JSON object')
        repository = env.get('GITHUB_REPOSITORY') or (event.get('repository') or {}).get(
            'full_name', ''
        )
        runner = env.get('DAL_BOT_RUNNER', 'uv').strip() or 'uv'
        if runner not in ('uv', 'python'):
            raise BadInput('DAL_BOT_RUNNER', f"must be 'uv' or 'python', got {runner!r}")
        timeout = env.get('DAL_BOT_VERIFY_TIMEOUT', '').strip()
        return cls(
            env=env,
            inputs=inputs,
            workspace=Path(env.get('GITHUB_WORKSPACE') or '.').resolve(),
            event_name=env.get('GITHUB_EVENT_NAME', ''),
            event=event,
            repository=repository,
            api_url=env.get('GITHUB_API_URL') or 'https://api.github.com',
            runner=runner,
            timeout=float(timeout) if timeout else 120.0,
        )

    def backend(self):
        """The run's one DynamoDB backend (`bot.verify.SharedBackend`): the first call starts it
        on a thread of its own, so moto comes up while git and implement work; every DAL of the
        run is verified on it. `close_backend()` stops it."""
        if self._backend is None:
            from bot.verify import SharedBackend

            self._backend = SharedBackend(
                self.inputs.dynamodb_endpoint or None,
                endpoint_timeout=self.inputs.endpoint_timeout,
                runner=self.runner,
            )
        return self._backend

    def close_backend(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    def github(self):
        from bot.github.client import make_github

        if not self.repository or '/' not in self.repository:
            raise BadInput('GITHUB_REPOSITORY', f'not owner/name: {self.repository!r}')
        return make_github(self.inputs.github_token, self.api_url, self.env)
