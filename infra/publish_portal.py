"""Publish portal/ to the deployed stack's portal bucket (run by `make deploy` after `sam deploy`).

The files go under `portal/` with their content types, then `portal/config.json` naming this stack's
API and Cognito app clients (the local gateway serves the same file, made for the local stack), and
CloudFront is told the pages changed. Only boto3 (SAM CLI's environment has it).

    python infra/publish_portal.py --stack ccp-dev [--region us-east-1]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import boto3

# The portal's own module (stdlib only): the same files, content types and config.json as the local gateway.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "local"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))
from ccp.data.payments import PaymentsNotConfigured, usable_webhook_secret
from ccp_local.portal import PORTAL_DIR, content_type, portal_config

PAYMENTS_WARNING = """
WARNING: payments are not configured. The webhook refuses every processor event (503
PAYMENTS_NOT_CONFIGURED) and the PaymentsNotConfigured alarm fires until you set the secret:
  aws secretsmanager put-secret-value --secret-id {arn} \\
    --secret-string '{{"api_key": "rk_live_...", "webhook_secret": "whsec_..."}}'
(README, "Deploying to AWS"). Nothing can be paid online until then.
"""


DEVELOPMENT_ONLY = {"jsconfig.json"}  # `make js` reads it; browsers never ask for it


def outputs(cloudformation, stack: str) -> dict[str, str]:
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def config(found: dict[str, str], region: str) -> dict[str, str]:
    return portal_config(
        api_url=found["ApiUrl"],
        cognito_url=f"https://cognito-idp.{region}.amazonaws.com/",
        region=region,
        client_id=found["UserPoolClientId"],
        staff_client_id=found["StaffUserPoolClientId"],
    )


def payments_configured(secrets, arn: str) -> bool:
    """The same judgement as the webhook's: a real `whsec_` signing secret, not the template's blank."""
    try:
        usable_webhook_secret(json.loads(secrets.get_secret_value(SecretId=arn).get("SecretString") or "{}"))
    except (PaymentsNotConfigured, ValueError):
        return False
    return True


def warn_if_payments_unconfigured(session, found: dict[str, str]) -> None:
    arn = found["PaymentsSecretArn"]
    if not payments_configured(session.client("secretsmanager"), arn):
        print(PAYMENTS_WARNING.format(arn=arn), file=sys.stderr)


def portal_files() -> list[Path]:
    """What the portal's bucket serves: its pages, scripts, styles (not the type check's settings)."""
    return sorted(p for p in PORTAL_DIR.rglob("*") if p.is_file() and p.name not in DEVELOPMENT_ONLY)


def publish(stack: str, region: str) -> None:
    session = boto3.session.Session(region_name=region)
    found = outputs(session.client("cloudformation"), stack)
    s3 = session.client("s3")
    bucket = found["PortalBucketName"]
    files = portal_files()
    for file in files:
        s3.upload_file(
            str(file),
            bucket,
            f"portal/{file.relative_to(PORTAL_DIR).as_posix()}",
            ExtraArgs={"ContentType": content_type(file), "CacheControl": "no-cache"},
        )
    s3.put_object(
        Bucket=bucket,
        Key="portal/config.json",
        Body=json.dumps(config(found, region)).encode(),
        ContentType="application/json",
        CacheControl="no-store",
    )
    session.client("cloudfront").create_invalidation(
        DistributionId=found["PortalDistributionId"],
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/portal/*"]}, "CallerReference": str(time.time())},
    )
    print(
        f"Portal published: {len(files)} files to s3://{bucket}/portal/; open {found['PortalDistributionUrl']}/portal/"
    )
    warn_if_payments_unconfigured(session, found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--region", default=None)
    args = parser.parse_args()
    publish(args.stack, args.region or boto3.session.Session().region_name or "us-east-1")


if __name__ == "__main__":
    main()
