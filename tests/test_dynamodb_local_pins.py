"""What users copy: every example workflow and the README run a DynamoDB Local that has what the
generator emits (multi-attribute GSI keys: 3.3.0 and later), without a health check that needs a
tool inside the third-party image."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.verify import DYNAMODB_LOCAL_IMAGE

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / '.github' / 'workflows').glob('dal-bot*.yml'))
_TAG = re.compile(r'amazon/dynamodb-local:(\d+)\.(\d+)\.(\d+)')


def services(path: Path) -> list[dict]:
    jobs = yaml.safe_load(path.read_text())['jobs']
    return [s for job in jobs.values() for s in (job.get('services') or {}).values()]


def test_the_pinned_image_has_multi_attribute_keys():
    version = tuple(int(x) for x in _TAG.fullmatch(DYNAMODB_LOCAL_IMAGE).groups())
    assert version >= (3, 3, 0)


@pytest.mark.parametrize('path', WORKFLOWS, ids=lambda p: p.name)
def test_example_workflows_use_the_pinned_image_without_a_health_check(path):
    for service in services(path):
        assert service['image'].split('@')[0] == DYNAMODB_LOCAL_IMAGE, path.name
        assert 'health' not in service.get('options', ''), path.name
    assert 'curl' not in path.read_text()


def test_the_workflows_that_need_dynamodb_local_have_it():
    assert {p.name for p in WORKFLOWS if services(p)} == {'dal-bot.yml', 'dal-bot-matrix.yml'}


def test_no_readme_or_workflow_pins_dynamodb_local_below_3_3_0():
    for path in [ROOT / 'README.md', *WORKFLOWS]:
        for match in _TAG.finditer(path.read_text()):
            version = tuple(int(x) for x in match.groups())
            assert version >= (3, 3, 0), f'{path.name}: {match.group(0)}'
    assert DYNAMODB_LOCAL_IMAGE in (ROOT / 'README.md').read_text()
