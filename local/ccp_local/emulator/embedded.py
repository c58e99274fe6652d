"""Embedded DynamoDB made faithful and fast enough: what the local stack, the tests and the
benchmarks all run on (each patch is pinned to moto 5.2 and checked by
tests/unit/test_moto_internals.py)."""

from __future__ import annotations


def embedded_dynamodb() -> None:
    """Atomic conditional writes, item-level transactions that honour ClientRequestToken, index
    queries that cost their partition, plain-JSON answers for item operations, and memory that is
    given back (no instance tracking of items, a bounded stream history). Idempotent."""
    from ccp_local.emulator.moto_atomic import make_dynamodb_writes_atomic
    from ccp_local.emulator.moto_cognito import resend_keeps_the_login
    from ccp_local.emulator.moto_gsi import index_gsi_queries
    from ccp_local.emulator.moto_json import fast_dynamodb_answers
    from ccp_local.emulator.moto_keys import cognito_key_read_once
    from ccp_local.emulator.moto_memory import bounded_dynamodb_memory
    from ccp_local.emulator.moto_templates import json_templates_first

    make_dynamodb_writes_atomic()
    index_gsi_queries()  # with item-level transactions (ccp_local.emulator.moto_transactions)
    fast_dynamodb_answers()
    bounded_dynamodb_memory()
    json_templates_first()  # the template deploys in half the time (ccp_local.emulator.moto_templates)
    cognito_key_read_once()  # a user pool is made in milliseconds (ccp_local.emulator.moto_keys)
    resend_keeps_the_login()  # an invitation sent again keeps the login's email and member id
