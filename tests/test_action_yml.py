"""The shipped action.yml: its shape, and that every input reaches the bot and every output is
written by it.

GitHub passes a Docker action's inputs as environment variables named ``INPUT_`` + the input's
name upper-cased with spaces turned into ``_`` (hyphens are kept: ``INPUT_FAIL-ON-ERROR``), and
collects outputs from ``name=value`` lines the action writes to the file in ``GITHUB_OUTPUT``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / 'action.yml'
BOT = ROOT / 'bot'

EXPECTED_INPUTS = {
    'github-token': '${{ github.token }}',
    'mode': 'pr',
    'paths': '**',
    'dynamodb-endpoint': '',
    'endpoint-timeout': '60',
    'commit': 'true',
    'fail-on-error': 'true',
    'comment-when-clean': 'true',
    'commit-author': 'dal-bot <dal-bot@users.noreply.github.com>',
    'chunk-size': '4',
    'dry-run': 'false',
    'fix-index-keys': 'true',
}
EXPECTED_OUTPUTS = {
    'dals',
    'implemented',
    'patterns-ok',
    'patterns-failed',
    'patterns-unsupported',
    'report',
    'matrix',
}


def env_name(input_name: str) -> str:
    """The variable GitHub's runner sets for a Docker action's input."""
    return 'INPUT_' + input_name.replace(' ', '_').upper()


@pytest.fixture(scope='module')
def action() -> dict:
    return yaml.safe_load(ACTION.read_text())


def bot_sources() -> str:
    if not (BOT / 'commands' / 'action.py').is_file():
        pytest.skip("bot/commands/action.py (the action's entry point) is not there yet")
    files = sorted(BOT.rglob('*.py'))
    return '\n'.join(f.read_text() for f in files)


def test_is_a_docker_action_built_from_the_dockerfile(action):
    assert action['runs']['using'] == 'docker'
    assert action['runs']['image'] == 'Dockerfile'
    # The image's ENTRYPOINT runs `dal-bot action`; action.yml must not override it.
    assert 'entrypoint' not in action['runs']
    assert 'args' not in action['runs']
    assert action['name'] and action['description']
    assert action['branding']['icon'] and action['branding']['color']


def test_inputs_are_documented_with_their_defaults(action):
    inputs = action['inputs']
    assert set(inputs) == set(EXPECTED_INPUTS)
    for name, default in EXPECTED_INPUTS.items():
        assert inputs[name].get('description', '').strip(), name
        assert str(inputs[name]['default']) == default, name
        assert not inputs[name].get('required', False), name


def test_outputs_are_documented(action):
    outputs = action['outputs']
    assert set(outputs) == EXPECTED_OUTPUTS
    for name, spec in outputs.items():
        assert spec.get('description', '').strip(), name


def test_dockerfile_entrypoint_is_dal_bot_action():
    dockerfile = (ROOT / 'Dockerfile').read_text()
    assert re.search(r'^ENTRYPOINT \["dal-bot", "action"\]$', dockerfile, re.M)


def test_every_input_is_read_by_the_bot(action):
    """Each input's variable (or its name, where the bot builds ``INPUT_`` names itself) must
    appear in bot/: an input nobody reads is a setting that silently does nothing."""
    sources = bot_sources()
    unread = [
        name
        for name in action['inputs']
        if env_name(name) not in sources
        and f"'{name}'" not in sources
        and f'"{name}"' not in sources
    ]
    assert not unread, f'inputs declared in action.yml but never read by bot/: {unread}'


def test_every_output_is_written_by_the_bot(action):
    sources = bot_sources()
    unwritten = [
        name
        for name in action['outputs']
        if f"'{name}'" not in sources and f'"{name}"' not in sources and f'{name}=' not in sources
    ]
    assert not unwritten, f'outputs declared in action.yml but never written by bot/: {unwritten}'


def test_inputs_match_the_bots_input_model(action):
    """action.yml and bot.github.inputs declare the same inputs, and the defaults of action.yml
    parse (GitHub passes every default as INPUT_<NAME>)."""
    inputs = pytest.importorskip('bot.github.inputs')
    assert set(action['inputs']) == set(inputs.INPUT_NAMES)
    env = {env_name(name): str(spec['default']) for name, spec in action['inputs'].items()}
    env[env_name('github-token')] = 'ghs_example'
    parsed = inputs.read_inputs(env)
    assert parsed.chunk_size == 4 and parsed.mode == 'pr' and parsed.commit is True
    assert parsed.commit_author == ('dal-bot', 'dal-bot@users.noreply.github.com')
    assert parsed.endpoint_timeout == 60.0


@pytest.mark.parametrize(
    ('name', 'value'),
    [
        ('mode', 'deploy'),
        ('commit', 'maybe'),
        ('chunk-size', '9'),
        ('commit-author', 'bot'),
        ('endpoint-timeout', 'soon'),
        ('endpoint-timeout', '0'),
    ],
)
def test_unknown_input_values_fail_naming_the_input(name, value):
    inputs = pytest.importorskip('bot.github.inputs')
    with pytest.raises(inputs.InputError) as info:
        inputs.read_inputs({env_name(name): value})
    assert name in str(info.value)
