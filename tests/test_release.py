"""The release: the workflow that publishes the image, and the action.yml rewrite it runs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PIN = ROOT / '.ci' / 'pin-image'
RELEASE = ROOT / '.github' / 'workflows' / 'release.yml'


def _pin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(PIN), *args], capture_output=True, text=True)


def test_the_released_action_yml_pulls_the_image_and_keeps_everything_else(tmp_path):
    action = tmp_path / 'action.yml'
    shutil.copy(ROOT / 'action.yml', action)
    done = _pin('v1.4.2', 'ghcr.io/acme/dal-bot', str(action))
    assert done.returncode == 0, done.stderr
    before = yaml.safe_load((ROOT / 'action.yml').read_text())
    after = yaml.safe_load(action.read_text())
    assert after['runs'] == {'using': 'docker', 'image': 'docker://ghcr.io/acme/dal-bot:v1.4.2'}
    assert {k: v for k, v in after.items() if k != 'runs'} == {
        k: v for k, v in before.items() if k != 'runs'
    }
    old, new = (ROOT / 'action.yml').read_text().splitlines(), action.read_text().splitlines()
    assert [(a, b) for a, b in zip(old, new, strict=True) if a != b] == [
        ('  image: Dockerfile', '  image: docker://ghcr.io/acme/dal-bot:v1.4.2')
    ]


@pytest.mark.parametrize(
    ('args', 'message'),
    [
        (('1.4.2', 'ghcr.io/acme/dal-bot'), "version '1.4.2' is not vMAJOR.MINOR.PATCH"),
        (('v1.4', 'ghcr.io/acme/dal-bot'), 'is not vMAJOR.MINOR.PATCH'),
        (('v1.4.2', 'ghcr.io/Acme/dal-bot'), 'is not a lowercase registry/owner/name'),
        (('v1.4.2', 'ghcr.io/acme/dal-bot:latest'), 'is not a lowercase registry/owner/name'),
    ],
)
def test_bad_versions_and_images_are_refused_and_nothing_is_written(tmp_path, args, message):
    action = tmp_path / 'action.yml'
    shutil.copy(ROOT / 'action.yml', action)
    done = _pin(*args, str(action))
    assert done.returncode == 2 and message in done.stderr
    assert action.read_bytes() == (ROOT / 'action.yml').read_bytes()


def test_an_already_pinned_action_yml_is_refused(tmp_path):
    action = tmp_path / 'action.yml'
    shutil.copy(ROOT / 'action.yml', action)
    assert _pin('v1.0.0', 'ghcr.io/acme/dal-bot', str(action)).returncode == 0
    pinned = action.read_bytes()
    again = _pin('v1.0.1', 'ghcr.io/acme/dal-bot', str(action))
    assert again.returncode == 2 and 'found 0' in again.stderr
    assert action.read_bytes() == pinned


def test_release_workflow_publishes_both_platforms_with_least_privilege():
    workflow = yaml.safe_load(RELEASE.read_text())
    on = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert on == {'push': {'tags': ['v*.*.*']}}
    assert workflow['permissions'] == {}
    jobs = workflow['jobs']
    assert jobs['image']['permissions'] == {'contents': 'read', 'packages': 'write'}
    assert jobs['action']['permissions'] == {'contents': 'write'}
    uses = [s['uses'] for j in jobs.values() for s in j['steps'] if 'uses' in s]
    assert uses and all(re.fullmatch(r'[\w.-]+/[\w.-]+@[0-9a-f]{40}', u) for u in uses), uses
    build = next(s for s in jobs['image']['steps'] if 'build-push-action' in s.get('uses', ''))
    assert build['with']['platforms'] == 'linux/amd64,linux/arm64'
    tags = build['with']['tags'].strip().splitlines()
    assert tags == [
        '${{ steps.names.outputs.image }}:${{ steps.names.outputs.version }}',
        '${{ steps.names.outputs.image }}:${{ steps.names.outputs.major }}',
    ]
    checkouts = [s for j in jobs.values() for s in j['steps'] if 'checkout' in s.get('uses', '')]
    assert all(s['with']['persist-credentials'] is False for s in checkouts)
    # The action job pins what the image job pushed, with the script the tests above check.
    runs = '\n'.join(s.get('run', '') for s in jobs['action']['steps'])
    assert '.ci/pin-image "$VERSION" "$IMAGE" action.yml' in runs
