"""verify: run a DAL against a DynamoDB API and judge every access pattern from observed calls.

result = verify_dal(load_dal(path), endpoint=None, timeout=120, runner='uv')
result.exit_code  # 0 every pattern ok, 1 otherwise

Names load on first use (PEP 562): the result models cost nothing, the runner and the backend
(boto3, moto) are imported only by a command that verifies.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_WHERE = {
    'STATUSES': '_models',
    'CrudError': '_models',
    'Durations': '_models',
    'EngineGap': '_models',
    'PatternResult': '_models',
    'Runner': '_models',
    'Status': '_models',
    'VerifyResult': '_models',
    'DEFAULT_ENDPOINT_TIMEOUT': '_backend',
    'DYNAMODB_LOCAL_IMAGE': '_engine',
    'endpoint_from_env': '_backend',
    'Failed': '_pool',
    'SharedBackend': '_pool',
    'verify_many': '_pool',
    'verify_paths': '_pool',
    'verify_dal': '_verify',
    'job_dirs': '_sandbox',
}

__all__ = [
    'DEFAULT_ENDPOINT_TIMEOUT',
    'DYNAMODB_LOCAL_IMAGE',
    'STATUSES',
    'CrudError',
    'Durations',
    'EngineGap',
    'Failed',
    'PatternResult',
    'Runner',
    'SharedBackend',
    'Status',
    'VerifyResult',
    'endpoint_from_env',
    'job_dirs',
    'verify_dal',
    'verify_many',
    'verify_paths',
]


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    value = getattr(importlib.import_module(f'{__name__}.{_WHERE[name]}'), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from bot.verify._backend import DEFAULT_ENDPOINT_TIMEOUT, endpoint_from_env
    from bot.verify._engine import DYNAMODB_LOCAL_IMAGE
    from bot.verify._models import (
        STATUSES,
        CrudError,
        Durations,
        EngineGap,
        PatternResult,
        Runner,
        Status,
        VerifyResult,
    )
    from bot.verify._pool import Failed, SharedBackend, verify_many, verify_paths
    from bot.verify._sandbox import job_dirs
    from bot.verify._verify import verify_dal
