"""Embedded AWS for the suites that use it (integration, infrastructure, proof, system); the unit
tests never import moto. Imported by those suites' conftest.py."""

import pytest

# Embedded DynamoDB as the local stack runs it: atomic conditional writes, item-level transactions
# with ClientRequestToken, index queries that cost their partition, fast JSON answers (ccp_local.emulator.embedded).
from ccp_local.emulator.embedded import embedded_dynamodb

embedded_dynamodb()


@pytest.fixture
def aws():
    from moto import mock_aws

    with mock_aws():
        yield
