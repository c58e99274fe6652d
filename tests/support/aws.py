"""Moto-backed AWS for tests, built from the template's own definitions."""

from __future__ import annotations

import boto3

from ccp_local.template import table_definition

TABLE_NAME = "ccp-test-table"


def create_table(name: str = TABLE_NAME):
    client = boto3.client("dynamodb")
    client.create_table(TableName=name, **table_definition())
    return boto3.resource("dynamodb").Table(name)


def member_logins_and_mail(stack_name: str = "ccp-test") -> str:
    """What the CE API needs beyond its table, made from the template's own definitions: the members'
    user pool (logins and the sign-in email), the sender identity and the confirmation email's
    template. Sets the function's environment; returns the pool id."""
    import os

    from ccp_local import template as tpl

    template = tpl.load()
    pool = template["Resources"]["UserPool"]["Properties"]
    idp = boto3.client("cognito-idp")
    pool_id = idp.create_user_pool(
        PoolName=f"{stack_name}-members",
        AliasAttributes=pool["AliasAttributes"],
        UsernameConfiguration=pool["UsernameConfiguration"],
        Schema=pool["Schema"],
    )["UserPool"]["Id"]
    ses = boto3.client("ses")
    ses.verify_email_identity(EmailAddress="notices@ccp.test")
    for resource in tpl.resources(template, "AWS::SES::Template").values():
        words = dict(resource["Properties"]["Template"])
        words["TemplateName"] = words["TemplateName"]["Fn::Sub"].replace("${AWS::StackName}", stack_name)
        ses.create_template(Template=words)
    bucket = f"{stack_name}-mail-batches"
    boto3.client("s3").create_bucket(Bucket=bucket)  # the print batches of members who get letters
    os.environ.update(
        SENDER_EMAIL="notices@ccp.test",
        EMAIL_TEMPLATE_PREFIX=f"{stack_name}-",
        PORTAL_URL="https://portal.ccp.test",
        USER_POOL_ID=pool_id,
        MAIL_BATCH_BUCKET=bucket,
    )
    return pool_id
