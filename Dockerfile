# dal-bot as a GitHub Docker action. GitHub runs the image as its default user (no USER line):
# the mounted workspace must stay writable for commits.
ARG BASE_IMAGE=python:3.12-slim
FROM ${BASE_IMAGE}

# Registry settings for this build only (e.g. a registry proxy in CI). Declared without
# defaults, so nothing of a build machine is baked into the image.
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_TRUSTED_HOST
ARG PIP_CERT
ARG PIP_DEFAULT_TIMEOUT
ARG UV_INDEX_URL
ARG UV_DEFAULT_INDEX
ARG SSL_CERT_FILE

LABEL org.opencontainers.image.title="dal-bot" \
      org.opencontainers.image.description="Implements, verifies and reports on generated DynamoDB data-access layers" \
      org.opencontainers.image.licenses="Apache-2.0"

# The bot lives in its own venv (works on the official python image and on a plain Debian one
# alike, without touching the system's packages). uv runs usage examples with that venv's
# interpreter and a cache warmed at build time, so it needs no network at run time.
# The DAL's code runs as `nobody` (65534), never as root (bot/verify/_sandbox.py): it cannot read
# the bot's environment (the token) or the job's files. DAL_BOT_SANDBOX=require: no fallback.
ENV VIRTUAL_ENV=/opt/dal-bot \
    PATH=/opt/dal-bot/bin:$PATH \
    UV_CACHE_DIR=/opt/uv-cache \
    UV_PYTHON=/opt/dal-bot/bin/python \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAL_BOT_SANDBOX=require

# git: the bot commits and pushes in the workspace, which GitHub mounts owned by another uid.
# git's perl (~50 MB) serves only its perl porcelain (add -i, send-email, svn), which the bot
# never runs: it is removed to keep the image small (commit, fetch and push are C programs).
# DL3008 (no apt version pin): the base image is chosen at build time (Debian trixie for
# python:3.12-slim, bookworm in CI) and no single git version exists in both.
# SC2046: the unquoted $(dpkg-query ...) is meant to split into package names.
# hadolint ignore=DL3008,SC2046
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && dpkg --purge --force-depends perl \
        $(dpkg-query -W -f '${Package}\n' 'perl-modules-*' 'libperl5*' 2>/dev/null) \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* \
    && git config --system --add safe.directory '*' \
    && git --version

COPY pyproject.toml README.md /tmp/dal-bot-src/
COPY bot /tmp/dal-bot-src/bot

# Byte code only for what the bot imports, not for every module of every dependency (that
# would be ~50 MB more): every module of the bot, and what its commands and the libraries below
# import (written by those imports). A container starts fresh on every run, so a module without
# byte code is compiled on every run (`dal-bot implement` of one DAL took 0.39 s of CPU instead
# of 0.26 s: the bot's modules, and pydantic's model building, imported when a model is made).
# template_check: every operation template parses (libcst), checked here and in the tests, not
# at run time. pip and setuptools are not needed at run time.
RUN python3 -m venv "$VIRTUAL_ENV" \
    && pip install --no-cache-dir --no-compile /tmp/dal-bot-src \
    && rm -rf /tmp/dal-bot-src \
    && dal-bot --help > /dev/null \
    && python -m bot.implement.template_check \
    && python -m compileall -q "$(python -c 'import bot, os; print(os.path.dirname(bot.__file__))')" \
    && python -c 'import bot.commands.action, bot.commands.detect, bot.commands.implement, bot.commands.run, bot.commands.verify' \
    && python -c 'import boto3, botocore.session, moto.server, moto.dynamodb.models, pydantic, libcst, git, github, ruff.__main__' \
    && python -m pip uninstall --yes --quiet pip setuptools \
    && uv --version

# Warm uv's cache with what usage examples ask for; then prove it works without the network.
# The cache belongs to the sandbox user (nobody), who runs usage examples with it.
RUN uv run --no-project --with boto3 --with pydantic python -c 'import boto3, pydantic' \
    && UV_OFFLINE=1 uv run --no-project --with boto3 --with pydantic python -c 'import boto3, pydantic' \
    && chown -R 65534:65534 "$UV_CACHE_DIR"

WORKDIR /github/workspace
ENTRYPOINT ["dal-bot", "action"]
