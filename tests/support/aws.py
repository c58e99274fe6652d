"""Moto-backed AWS for tests, built from the template's own definitions."""

from __future__ import annotations

import boto3

from ccp_local.template import table_definition

TABLE_NAME = "ccp-test-table"


def create_table(name: str = TABLE_NAME):
    client = boto3.client("dynamodb")
    client.create_table(TableName=name, **table_definition())
    return boto3.resource("dynamodb").Table(name)
