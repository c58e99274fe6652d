"""The benchmark's index-partition map for moto (ccp_local.emulator.moto_gsi) answers index queries exactly
as moto does without it: after puts, updates that move an item between partitions, and deletes."""

import boto3
from boto3.dynamodb.conditions import Key

from ccp_local.emulator.moto_gsi import index_gsi_queries
from tests.support.aws import create_table


def ids(table, partition):
    items = table.query(IndexName="gsi3", KeyConditionExpression=Key("gsi3pk").eq(partition))["Items"]
    return sorted(i["sk"] for i in items)


def test_index_queries_follow_puts_updates_and_deletes(aws):
    index_gsi_queries()  # already on for the whole suite (tests/conftest.py); calling again is a no-op
    table = create_table()
    for n in range(6):
        table.put_item(
            Item={"pk": "M1", "sk": f"S{n}", "gsi3pk": "UNLOCK#00" if n % 2 else "UNLOCK#01", "gsi3sk": str(n)}
        )
    assert ids(table, "UNLOCK#00") == ["S1", "S3", "S5"]
    table.update_item(
        Key={"pk": "M1", "sk": "S1"}, UpdateExpression="SET gsi3pk = :p", ExpressionAttributeValues={":p": "UNLOCK#01"}
    )
    table.update_item(Key={"pk": "M1", "sk": "S3"}, UpdateExpression="REMOVE gsi3pk, gsi3sk")
    table.delete_item(Key={"pk": "M1", "sk": "S0"})
    table.put_item(Item={"pk": "M1", "sk": "S5", "gsi3pk": "UNLOCK#02", "gsi3sk": "5"})  # replaced: moves too
    assert ids(table, "UNLOCK#00") == []
    assert ids(table, "UNLOCK#01") == ["S1", "S2", "S4"]
    assert ids(table, "UNLOCK#02") == ["S5"]
    client = boto3.client("dynamodb")
    client.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": table.name,
                    "Item": {"pk": {"S": "M2"}, "sk": {"S": "T"}, "gsi3pk": {"S": "UNLOCK#02"}, "gsi3sk": {"S": "9"}},
                }
            }
        ]
    )
    assert ids(table, "UNLOCK#02") == ["S5", "T"]


def test_a_query_of_the_table_reads_its_partition_in_order_with_conditions_and_paging(aws):
    table = create_table()
    for member in ("M1", "M2", "M3"):
        for n in (3, 1, 2, 10):
            table.put_item(Item={"pk": member, "sk": f"ACT#{n:02d}"})
        table.put_item(Item={"pk": member, "sk": "STATE#PROFILE"})
    first = table.query(KeyConditionExpression=Key("pk").eq("M2") & Key("sk").begins_with("ACT#"), Limit=2)
    rest = table.query(
        KeyConditionExpression=Key("pk").eq("M2") & Key("sk").begins_with("ACT#"),
        ExclusiveStartKey=first["LastEvaluatedKey"],
    )
    assert [i["sk"] for i in first["Items"] + rest["Items"]] == ["ACT#01", "ACT#02", "ACT#03", "ACT#10"]
    backwards = table.query(KeyConditionExpression=Key("pk").eq("M3"), ScanIndexForward=False)["Items"]
    assert [i["sk"] for i in backwards] == ["STATE#PROFILE", "ACT#10", "ACT#03", "ACT#02", "ACT#01"]
    assert table.query(KeyConditionExpression=Key("pk").eq("M9"))["Items"] == []
