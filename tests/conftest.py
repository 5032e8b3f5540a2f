"""Shared fixtures: a moto server (DynamoDB-compatible API on loopback) for the whole session."""

from __future__ import annotations

import socket

import boto3
import pytest

DUMMY_CREDENTIALS = {
    'aws_access_key_id': 'testing',
    'aws_secret_access_key': 'testing',
    'region_name': 'us-east-1',
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='session')
def moto_server():
    """URL of a moto server on 127.0.0.1:<free port>, one per session (and xdist worker)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address='127.0.0.1', port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f'http://{host}:{port}'
    finally:
        server.stop()


@pytest.fixture
def dynamodb(moto_server):
    """A boto3 DynamoDB resource on the session's moto server, with dummy credentials."""
    return boto3.resource('dynamodb', endpoint_url=moto_server, **DUMMY_CREDENTIALS)


@pytest.fixture
def dynamodb_client(moto_server):
    """A boto3 DynamoDB client on the session's moto server, with dummy credentials."""
    return boto3.client('dynamodb', endpoint_url=moto_server, **DUMMY_CREDENTIALS)
