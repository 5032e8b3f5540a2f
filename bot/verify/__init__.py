"""verify: run a DAL against a DynamoDB API and judge every access pattern from observed calls.

result = verify_dal(load_dal(path), endpoint=None, timeout=120, runner='uv')
result.exit_code  # 0 every pattern ok, 1 otherwise
"""

from bot.verify._backend import endpoint_from_env
from bot.verify._models import (
    STATUSES,
    CrudError,
    Durations,
    PatternResult,
    Runner,
    Status,
    VerifyResult,
)
from bot.verify._pool import Failed, SharedBackend, verify_many
from bot.verify._verify import verify_dal

__all__ = [
    'STATUSES',
    'Failed',
    'SharedBackend',
    'CrudError',
    'Durations',
    'PatternResult',
    'Runner',
    'Status',
    'VerifyResult',
    'endpoint_from_env',
    'verify_dal',
    'verify_many',
]
