"""The real template deploys into embedded AWS with what moto would otherwise ignore applied."""

import boto3
from moto import mock_aws

from ccp_local.deploy import deploy


def test_the_template_deploys_into_embedded_aws_with_table_settings_applied():
    with mock_aws():
        deployment = deploy("us-east-1")
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        table = deployment.physical_ids["CcpTable"]
        description = dynamodb.describe_table(TableName=table)["Table"]
        assert sorted(i["IndexName"] for i in description["GlobalSecondaryIndexes"]) == ["gsi1", "gsi2", "gsi3", "gsi4"]
        assert dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]["AttributeName"] == "expiration"
        backups = dynamodb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
        assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
        from ccp_local.template import functions

        assert set(deployment.functions) == {f.logical_id for f in functions()}
        env = deployment.functions["RecordCeFunction"]["Environment"]["Variables"]
        assert env["TABLE_NAME"] == table
        idp = boto3.client("cognito-idp", region_name="us-east-1")
        # The staff group lives in the staff pool only: no member can be put in it.
        staff_groups = idp.list_groups(UserPoolId=deployment.physical_ids["StaffUserPool"])["Groups"]
        assert [g["GroupName"] for g in staff_groups] == ["staff"]
        assert idp.list_groups(UserPoolId=deployment.physical_ids["UserPool"])["Groups"] == []
        ses = boto3.client("ses", region_name="us-east-1")
        assert "notices@ccp.localhost" in ses.list_identities()["Identities"]
        names = {t["Name"] for t in ses.list_templates()["TemplatesMetadata"]}
        # Named after the stack, so two stacks of one stage never share a template.
        assert {
            "ccp-local-renewal_due",
            "ccp-local-past_due",
            "ccp-local-ce_reminder",
            "ccp-local-status_changed",
        } <= names
        assert env["EMAIL_CONFIGURATION_SET"] == "ccp-local-notices"
        assert ses.describe_configuration_set(ConfigurationSetName="ccp-local-notices")["ConfigurationSet"]
        renewal_env = deployment.functions["RenewalNoticesFunction"]["Environment"]["Variables"]
        assert renewal_env["MAIL_BATCH_BUCKET"] == deployment.physical_ids["MailBatchesBucket"]
        assert renewal_env["RENEWAL_QUEUE_URL"].endswith(deployment.physical_ids["RenewalWorkQueue"].rsplit("/", 1)[-1])
