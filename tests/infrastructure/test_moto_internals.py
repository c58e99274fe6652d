"""What the embedded stack's patches rely on in moto, checked against the installed moto: a moto
upgrade that changes them fails here, loudly, instead of quietly changing the local stack."""

import inspect

import boto3
import pytest
from botocore.exceptions import ClientError

from ccp_local.emulator.moto_transactions import MOTO_SERIES, moto_version


def test_moto_is_the_series_the_patches_were_written_for():
    assert moto_version().startswith(MOTO_SERIES), (
        f"moto {moto_version()}: re-check ccp_local.emulator.moto_* against it, then move MOTO_SERIES"
    )


def test_the_moto_internals_the_patches_use_are_still_there():
    from moto.dynamodb.models import DynamoDBBackend, get_filter_expression  # noqa: F401
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    assert {"index_name", "hash_key_conditions"} <= set(inspect.signature(Table.query).parameters)
    for name in ("all_items", "put_item", "delete_item", "get_item"):
        assert callable(getattr(Table, name, None)), name
    for name in ("get_item", "put_item", "update_item", "delete_item", "get_table"):
        assert callable(getattr(DynamoDBBackend, name)), name
    assert callable(DynamoHandler.transact_write_items)
    # The embedded stack's transactions are the item-level ones (installed by tests/conftest.py).
    assert getattr(DynamoDBBackend.transact_write_items, "_ccp_item_level", False)


@pytest.fixture
def client(aws):
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    dynamodb.create_table(
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )
    return dynamodb


def test_a_moto_table_still_names_its_key_attributes_as_the_patches_read_them(client):
    """moto_transactions and moto_gsi read `hash_key_attr` and `range_key_attr` off a table instance."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    client.create_table(
        TableName="ranged",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
    )
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    assert (backend.get_table("ranged").hash_key_attr, backend.get_table("ranged").range_key_attr) == ("pk", "sk")
    assert (backend.get_table("t").hash_key_attr, backend.get_table("t").range_key_attr) == ("pk", None)


def put_once(pk, value="1"):
    return {
        "Put": {
            "TableName": "t",
            "Item": {"pk": {"S": pk}, "v": {"S": value}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def test_a_retried_transaction_with_its_client_request_token_succeeds_and_changes_nothing(client):
    client.transact_write_items(TransactItems=[put_once("a")], ClientRequestToken="token-1")
    # botocore's retry after a timeout sends the same request with the same token: success, as on AWS.
    client.transact_write_items(TransactItems=[put_once("a")], ClientRequestToken="token-1")
    assert client.get_item(TableName="t", Key={"pk": {"S": "a"}})["Item"]["v"] == {"S": "1"}
    with pytest.raises(ClientError) as reused:
        client.transact_write_items(TransactItems=[put_once("b")], ClientRequestToken="token-1")
    assert reused.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    # Without the token the same request is a new one, and its condition fails.
    with pytest.raises(ClientError) as again:
        client.transact_write_items(TransactItems=[put_once("a")], ClientRequestToken="token-2")
    assert again.value.response["Error"]["Code"] == "TransactionCanceledException"


def test_a_transaction_is_all_or_nothing_and_names_the_item_whose_condition_failed(client):
    client.put_item(TableName="t", Item={"pk": {"S": "taken"}, "v": {"S": "old"}})
    client.put_item(TableName="t", Item={"pk": {"S": "other"}, "v": {"S": "old"}})
    update = {
        "Update": {
            "TableName": "t",
            "Key": {"pk": {"S": "other"}},
            "UpdateExpression": "SET v = :v",
            "ExpressionAttributeValues": {":v": {"S": "new"}},
        }
    }
    with pytest.raises(ClientError) as cancelled:
        client.transact_write_items(TransactItems=[put_once("fresh"), update, put_once("taken")])
    reasons = [r["Code"] for r in cancelled.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "ConditionalCheckFailed"]
    assert "Item" not in client.get_item(TableName="t", Key={"pk": {"S": "fresh"}})
    assert client.get_item(TableName="t", Key={"pk": {"S": "other"}})["Item"]["v"] == {"S": "old"}


def test_a_write_that_fails_midway_is_undone(client):
    client.put_item(TableName="t", Item={"pk": {"S": "n"}, "v": {"S": "text"}})
    bad = {
        "Update": {
            "TableName": "t",
            "Key": {"pk": {"S": "n"}},
            "UpdateExpression": "ADD v :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }
    with pytest.raises(ClientError):
        client.transact_write_items(TransactItems=[put_once("first"), bad])
    assert "Item" not in client.get_item(TableName="t", Key={"pk": {"S": "first"}})
    assert client.get_item(TableName="t", Key={"pk": {"S": "n"}})["Item"]["v"] == {"S": "text"}


def item_operations():
    """The item operations the program uses, with every attribute type, answered by embedded DynamoDB."""
    c = boto3.client("dynamodb", region_name="us-east-1")
    c.create_table(
        TableName="p",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
    )
    key = {"pk": {"S": "a"}, "sk": {"S": "1"}}
    every_type = {
        **key,
        "n": {"N": "1.50"},
        "b": {"B": b"\x00\x01"},
        "l": {"L": [{"S": "x"}, {"NULL": True}]},
        "m": {"M": {"k": {"BOOL": False}}},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.5"]},
    }
    answers = [
        c.put_item(TableName="p", Item=every_type, ReturnValues="ALL_OLD"),
        c.put_item(TableName="p", Item={**key, "n": {"N": "2"}}, ReturnValues="ALL_OLD"),
        c.get_item(TableName="p", Key=key),
        c.get_item(TableName="p", Key={"pk": {"S": "none"}, "sk": {"S": "1"}}),
        c.update_item(
            TableName="p",
            Key=key,
            UpdateExpression="SET x = :x",
            ExpressionAttributeValues={":x": {"N": "3"}},
            ReturnValues="ALL_NEW",
        ),
    ]
    for n in range(5):
        c.put_item(TableName="p", Item={"pk": {"S": "q"}, "sk": {"S": str(n)}})
    answers += [
        c.query(TableName="p", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "q"}}, Limit=2),
        c.query(
            TableName="p",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "q"}},
            Select="COUNT",
        ),
        c.transact_write_items(
            TransactItems=[{"Put": {"TableName": "p", "Item": {"pk": {"S": "t"}, "sk": {"S": "1"}}}}]
        ),
        c.delete_item(TableName="p", Key=key, ReturnValues="ALL_OLD"),
        c.batch_write_item(RequestItems={"p": [{"PutRequest": {"Item": {"pk": {"S": "w"}, "sk": {"S": "1"}}}}]}),
        c.scan(TableName="p", Limit=3),
    ]
    for answer in answers:
        answer.pop("ResponseMetadata", None)
    return answers


def test_the_fast_json_answers_parse_exactly_as_motos_own_serialiser():
    from moto import mock_aws

    from ccp_local.emulator.moto_json import fast_dynamodb_answers

    with mock_aws():
        fast = item_operations()
    fast_dynamodb_answers(enabled=False)
    try:
        with mock_aws():
            own = item_operations()
    finally:
        fast_dynamodb_answers()
    assert fast == own
    assert fast[1]["Attributes"]["b"] == {"B": b"\x00\x01"} and fast[6]["Count"] == 5


def test_a_json_template_is_read_as_moto_reads_it_only_faster():
    """ccp_local.emulator.moto_templates: moto's own YAML reading of our translated template gives the
    same dict as the JSON-first one, which is still needed while moto reads every template as YAML."""
    import json

    from moto.cloudformation.models import Stack

    from ccp_local.inprocess import deployed_stack

    assert getattr(Stack.parse_template, "_ccp_json_first", False)
    with deployed_stack():
        body = boto3.client("cloudformation", region_name="us-east-1").get_template(StackName="ccp-local")
        text = json.dumps(body["TemplateBody"])
    yaml_reading = inspect.getclosurevars(Stack.parse_template).nonlocals["yaml_reading"]
    assert len(json.loads(text)["Resources"]) > 50
    assert Stack.parse_template(text) == yaml_reading(text)
    assert "yaml.load" in inspect.getsource(yaml_reading)  # moto still reads JSON as YAML: the patch still pays


def test_every_user_pool_signs_with_motos_one_key_read_once_and_its_tokens_verify(aws):
    """ccp_local.emulator.moto_keys: two pools share the one key read (moto reads its file again for every
    pool), and what a pool signs verifies against the public key it publishes."""
    from joserfc import jwk, jwt
    from moto.cognitoidp.models import CognitoIdpUserPool, cognitoidp_backends
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.utilities.utils import load_resource

    idp = boto3.client("cognito-idp", region_name="us-east-1")
    first, second = (idp.create_user_pool(PoolName=name)["UserPool"]["Id"] for name in ("first", "second"))
    pools = cognitoidp_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].user_pools
    assert pools[first].json_web_key is pools[second].json_web_key
    client = idp.create_user_pool_client(
        UserPoolId=second, ClientName="c", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=second, Username="ann", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=second, Username="ann", Password="Local-Passw0rd!", Permanent=True)
    tokens = idp.admin_initiate_auth(
        UserPoolId=second,
        ClientId=client,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ann", "PASSWORD": "Local-Passw0rd!"},
    )["AuthenticationResult"]
    published = jwk.KeySet.import_key_set(load_resource("cognitoidp/resources/jwks-public.json"))
    assert jwt.decode(tokens["IdToken"], published).claims["cognito:username"] == "ann"
    assert "jwk.RSAKey.import_key" in inspect.getsource(CognitoIdpUserPool.__init__)  # still read per pool


def test_an_invitation_sent_again_keeps_the_login_and_is_refused_once_a_password_was_chosen(aws):
    """ccp_local.emulator.moto_cognito.resend_keeps_the_login, as Cognito: moto itself replaces the user
    with one without attributes."""
    from moto.cognitoidp.models import CognitoIdpBackend, cognitoidp_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    idp = boto3.client("cognito-idp", region_name="us-east-1")
    pool = idp.create_user_pool(PoolName="members")["UserPool"]["Id"]
    attributes = [{"Name": "email", "Value": "ann@example.org"}, {"Name": "custom:member_id", "Value": "M-1"}]
    idp.admin_create_user(UserPoolId=pool, Username="M-1", UserAttributes=attributes, MessageAction="SUPPRESS")
    idp.admin_create_user(UserPoolId=pool, Username="M-1", MessageAction="RESEND")
    login = idp.admin_get_user(UserPoolId=pool, Username="M-1")
    assert {a["Name"]: a["Value"] for a in login["UserAttributes"]}.items() >= {("email", "ann@example.org")}
    assert login["UserStatus"] == "FORCE_CHANGE_PASSWORD"

    idp.admin_set_user_password(UserPoolId=pool, Username="M-1", Password="Own-Passw0rd!", Permanent=True)
    with pytest.raises(idp.exceptions.UnsupportedUserStateException):
        idp.admin_create_user(UserPoolId=pool, Username="M-1", MessageAction="RESEND")

    motos_own = CognitoIdpBackend.admin_create_user.__wrapped__  # still needed: moto's RESEND loses the email
    backend = cognitoidp_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    assert "email" not in motos_own(backend, pool, "M-1", "RESEND", "Temp-Passw0rd!", []).attribute_lookup
