"""Deploy the real infra/template.yaml into embedded AWS (moto server).

samtranslator turns the SAM template into plain CloudFormation offline; local code folders are
zipped into moto S3; moto's CloudFormation creates the stack. What moto accepts but ignores
(TTL, point-in-time recovery) is applied afterwards from the template itself.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import re
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform

from ccp_local import template as tpl

ARTIFACT_BUCKET = "ccp-local-artifacts"
STACK_NAME = "ccp-local"
# The template's parameters as the local stack sets them (the others keep their defaults). WAF and
# the API Gateway logging role are AWS account features with nothing to do locally.
LOCAL_PARAMETERS = {
    "SenderEmail": "notices@ccp.localhost",
    "EnableWaf": "false",
    "CreateApiGatewayLoggingRole": "false",
}
# Resources the local stack plays itself: the gateway serves the API's stage, and the local
# runtime polls SQS event sources (moto would try to run the function in Docker).
SKIPPED_TYPES = {"AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage", "AWS::Lambda::EventSourceMapping"}
# The gateway serves the portal's files too (at /portal/): no CDN locally, nor what names it.
NOT_LOCAL_PREFIXES = ("AWS::CloudFront::",)


@dataclass
class Deployment:
    stack_name: str
    outputs: dict[str, str]
    physical_ids: dict[str, str]  # logical id -> physical id
    functions: dict[str, dict[str, Any]] = field(default_factory=dict)  # logical id -> lambda configuration


def _drop_not_local(cfn: dict[str, Any]) -> None:
    """Resources with no local counterpart (the CDN), and the resources and outputs that name them."""
    not_local = {k for k, v in cfn["Resources"].items() if v["Type"].startswith(NOT_LOCAL_PREFIXES)}
    dropped = _naming(cfn["Resources"], not_local)
    cfn["Resources"] = {k: v for k, v in cfn["Resources"].items() if k not in dropped}
    cfn["Outputs"] = {k: v for k, v in cfn.get("Outputs", {}).items() if not _names_any(v, dropped)}


def _names_any(value: Any, logical_ids: set[str]) -> bool:
    """Whether a template value refers to any of the resources (Ref, GetAtt, or ${...} in a Sub)."""
    text = json.dumps(value)
    return any(
        f'"Ref": "{name}"' in text
        or f'"Fn::GetAtt": ["{name}"' in text
        or f"${{{name}}}" in text
        or f"${{{name}." in text
        for name in logical_ids
    )


def _naming(resources: dict[str, Any], dropped: set[str]) -> set[str]:
    """The dropped resources and, transitively, every resource that refers to one of them."""
    dropped = set(dropped)
    while True:
        more = {k for k, v in resources.items() if k not in dropped and _names_any(v, dropped)}
        if not more:
            return dropped
        dropped |= more


def _zip_dir(folder: Path) -> bytes:
    """The folder as a deployment zip (our bytecode left out, as `sam build` leaves it). Stored, not
    deflated: nothing here limits its size, and deflating took a third of a second of every deploy."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(folder))
    return buffer.getvalue()


def _upload_code(sam: dict[str, Any], template_dir: Path, s3: Any) -> dict[str, Any]:
    """Replace local CodeUri/ContentUri folders with s3:// URIs of their zips."""
    sam = copy.deepcopy(sam)
    s3.create_bucket(Bucket=ARTIFACT_BUCKET)
    uploaded: dict[Path, str] = {}

    def upload(local: str) -> str:
        folder = (template_dir / local).resolve()
        if folder not in uploaded:
            key = f"{folder.name}.zip"
            s3.put_object(Bucket=ARTIFACT_BUCKET, Key=key, Body=_zip_dir(folder))
            uploaded[folder] = f"s3://{ARTIFACT_BUCKET}/{key}"
        return uploaded[folder]

    globals_fn = sam.get("Globals", {}).get("Function", {})
    if isinstance(globals_fn.get("CodeUri"), str):
        globals_fn["CodeUri"] = upload(globals_fn["CodeUri"])
    for resource in sam["Resources"].values():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = upload(props[key])
    return sam


# The SAM transform of one template, kept for the process: it depends only on the template and the
# region, and the test suites deploy the same template into a fresh embedded AWS for every test.
_TRANSFORMED: dict[str, dict[str, Any]] = {}


def translate(sam: dict[str, Any], template_dir: Path, *, s3: Any, iam: Any, region: str) -> dict[str, Any]:
    with_code = _upload_code(sam, template_dir, s3)
    key = json.dumps([with_code, region], sort_keys=True, default=str)
    if key not in _TRANSFORMED:
        cfn = transform(with_code, {"AWS::Region": region}, ManagedPolicyLoader(iam))
        skipped = {k for k, v in cfn["Resources"].items() if v["Type"] in SKIPPED_TYPES}
        cfn["Resources"] = {k: v for k, v in cfn["Resources"].items() if k not in skipped}
        for resource in cfn["Resources"].values():  # nothing waits for what is not made locally
            depends = resource.get("DependsOn")
            if depends:
                kept = [d for d in ([depends] if isinstance(depends, str) else depends) if d not in skipped]
                resource["DependsOn"] = kept
                if not kept:
                    del resource["DependsOn"]
        _TRANSFORMED[key] = cfn
    return copy.deepcopy(_TRANSFORMED[key])


class _Resolver:
    """Resolves what is known before the stack exists: Ref (parameters, pseudo parameters,
    resources provisioned here), Fn::GetAtt ...Arn of those, and Fn::Sub naming only known values."""

    def __init__(self, cfn: dict[str, Any], region: str):
        self.values: dict[str, str] = {
            "AWS::Region": region,
            "AWS::AccountId": "123456789012",
            "AWS::StackName": STACK_NAME,
            "AWS::Partition": "aws",
        }
        for name, parameter in cfn.get("Parameters", {}).items():
            if name in LOCAL_PARAMETERS:
                self.values[name] = LOCAL_PARAMETERS[name]
            elif "Default" in parameter:
                self.values[name] = str(parameter["Default"])
        self.arns: dict[str, str] = {}
        self._defined = cfn.get("Conditions", {})
        self.conditions = {name: self.holds(c) for name, c in self._defined.items()}

    def holds(self, condition: Any) -> bool:
        """A template condition over parameters (Fn::Equals, Fn::Not, Fn::And, Fn::Or)."""
        ((fn, arg),) = condition.items()
        if fn == "Fn::Equals":
            return bool(self(arg[0]) == self(arg[1]))
        if fn == "Fn::Not":
            return not self.holds(arg[0])
        if fn == "Fn::And":
            return all(self.holds(c) for c in arg)
        if fn == "Fn::Or":
            return any(self.holds(c) for c in arg)
        if fn == "Condition":  # a condition naming another
            return self.holds(self._defined[arg])
        raise ValueError(f"condition {fn} is not supported locally")

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref" and arg in self.values:
                return self.values[arg]
            if fn == "Fn::GetAtt" and arg[0] in self.arns and arg[1] == "Arn":
                return self.arns[arg[0]]
            if fn == "Fn::Sub" and isinstance(arg, str):
                names = re.findall(r"\$\{([^}!]+)\}", arg)
                if all(n in self.values for n in names):
                    return re.sub(r"\$\{([^}!]+)\}", lambda m: self.values[m.group(1)], arg)
                return value  # names something not known here: left for CloudFormation
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
        return value


# Resource types moto's CloudFormation does not create; the deployer makes them through their own APIs.
PROVISIONED_HERE = ("AWS::Cognito::", "AWS::SES::", "AWS::SecretsManager::")


def _provision_unsupported(cfn: dict[str, Any], session: Any, region: str) -> dict[str, str]:
    """moto's CloudFormation has no Cognito and skips SES and Secrets Manager: create the template's
    user pool, client, group, email identities and templates, and secrets through their APIs from the
    template's own properties, then put their ids into the template."""
    idp = session.client("cognito-idp")
    ses = session.client("ses")
    resolve = _Resolver(cfn, region)
    # Resources whose condition does not hold are not made (moto's CloudFormation drops its own).
    cfn["Resources"] = {
        k: v for k, v in cfn["Resources"].items() if "Condition" not in v or resolve.conditions[v["Condition"]]
    }
    by_type = lambda t: {k: v for k, v in cfn["Resources"].items() if v["Type"] == t}  # noqa: E731
    for logical, resource in by_type("AWS::Cognito::UserPool").items():
        props = resolve(resource["Properties"])
        # No authenticator app locally: staff sign in to the local stack with a password alone (an
        # infrastructure test holds the template's staff pool to MFA required).
        props["MfaConfiguration"] = "OFF"
        pool = idp.create_user_pool(
            PoolName=props["UserPoolName"],
            **{
                k: props[k]
                for k in (
                    "Policies",
                    "AutoVerifiedAttributes",
                    "UsernameAttributes",
                    "AliasAttributes",
                    "UsernameConfiguration",
                    "AccountRecoverySetting",
                    "MfaConfiguration",
                    "AdminCreateUserConfig",
                    "Schema",
                )
                if k in props
            },
        )["UserPool"]
        resolve.values[logical] = pool["Id"]
        resolve.arns[logical] = pool["Arn"]
    for logical, resource in by_type("AWS::Cognito::UserPoolClient").items():
        props = resolve(resource["Properties"])
        client = idp.create_user_pool_client(
            **{
                k: props[k]
                for k in (
                    "UserPoolId",
                    "ClientName",
                    "GenerateSecret",
                    "ExplicitAuthFlows",
                    "ReadAttributes",
                    "WriteAttributes",
                )
                if k in props
            }
        )["UserPoolClient"]
        resolve.values[logical] = client["ClientId"]
    for logical, resource in by_type("AWS::Cognito::UserPoolGroup").items():
        props = resolve(resource["Properties"])
        idp.create_group(**{k: props[k] for k in ("GroupName", "UserPoolId", "Description") if k in props})
        resolve.values[logical] = props["GroupName"]
    for logical, resource in by_type("AWS::SES::EmailIdentity").items():
        identity = resolve(resource["Properties"])["EmailIdentity"]
        ses.verify_email_identity(EmailAddress=identity)
        resolve.values[logical] = identity
    for logical, resource in by_type("AWS::SES::ConfigurationSet").items():
        name = resolve(resource["Properties"])["Name"]
        ses.create_configuration_set(ConfigurationSet={"Name": name})
        resolve.values[logical] = name
    for logical, resource in by_type("AWS::SecretsManager::Secret").items():
        props = resolve(resource["Properties"])
        created = session.client("secretsmanager").create_secret(
            Name=f"{STACK_NAME}-{logical}",
            Description=props.get("Description", ""),
            SecretString=props.get("SecretString", "{}"),
        )
        resolve.values[logical] = created["ARN"]  # Ref of a secret is its ARN
    for logical, resource in by_type("AWS::SES::Template").items():
        template = resolve(resource["Properties"])["Template"]
        ses.create_template(Template=template)
        resolve.values[logical] = template["TemplateName"]
    provisioned = {k for k, v in cfn["Resources"].items() if v["Type"].startswith(PROVISIONED_HERE)}
    cfn["Resources"] = {k: v for k, v in cfn["Resources"].items() if k not in provisioned}
    # One pass puts the provisioned ids in, and resolves parameters moto's Fn::Sub would leave as
    # ${Param}; intrinsics naming stack resources stay for moto's CloudFormation.
    cfn["Resources"] = resolve(cfn["Resources"])
    cfn["Outputs"] = resolve(cfn.get("Outputs", {}))
    # SES event destinations are not made locally (bounces never happen there): they have no id.
    return {k: resolve.values[k] for k in provisioned if k in resolve.values}


def deploy(
    region: str = "us-east-1", template_path: Path = tpl.TEMPLATE_PATH, stack_name: str = STACK_NAME
) -> Deployment:
    """Deploy into whatever AWS endpoint boto3 is pointed at (AWS_ENDPOINT_URL: the moto server)."""
    session = _session(region)
    sam = tpl.load(template_path)
    cfn = translate(sam, template_path.parent, s3=session.client("s3"), iam=session.client("iam"), region=region)
    _drop_not_local(cfn)
    provisioned = _provision_unsupported(cfn, session, region)
    cloudformation = session.client("cloudformation")
    cloudformation.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(cfn),
        Parameters=[
            {"ParameterKey": k, "ParameterValue": v}
            for k, v in LOCAL_PARAMETERS.items()
            if k in cfn.get("Parameters", {})
        ],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    _wait(cloudformation, stack_name)
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    resources = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources if r.get("PhysicalResourceId")}
    physical |= provisioned
    _apply_ignored_settings(sam, physical, session)
    lam = session.client("lambda")
    functions = {
        logical: lam.get_function_configuration(FunctionName=physical[logical])
        for logical, resource in cfn["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function"
    }
    return Deployment(stack_name=stack_name, outputs=outputs, physical_ids=physical, functions=functions)


@functools.cache
def _service_models() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


def _session(region: str) -> boto3.session.Session:
    """A session of its own that shares one reader of botocore's service models: a new session would
    read and parse them again (0.17 s of every deployment, and the tests deploy for every test)."""
    core = botocore.session.Session()
    core.register_component("data_loader", _service_models())
    return boto3.session.Session(botocore_session=core, region_name=region)


def _wait(cloudformation: Any, stack_name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]
        if status.endswith("_COMPLETE") and "ROLLBACK" not in status:
            return
        if "FAILED" in status or "ROLLBACK" in status:
            events = cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
            reasons = [
                f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}"
                for e in events
                if "FAILED" in e["ResourceStatus"]
            ]
            raise RuntimeError(f"stack {stack_name} failed: {status}; {reasons}")
        time.sleep(0.2)
    raise TimeoutError(f"stack {stack_name} not complete after {timeout}s")


def _apply_ignored_settings(sam: dict[str, Any], physical: dict[str, str], session: Any) -> None:
    """moto accepts but ignores these table settings; apply them so the local table matches."""
    dynamodb = session.client("dynamodb")
    for logical, resource in tpl.resources(sam, "AWS::DynamoDB::Table").items():
        props = resource["Properties"]
        name = physical[logical]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
            )
        pitr = props.get("PointInTimeRecoverySpecification", {})
        if pitr.get("PointInTimeRecoveryEnabled"):
            dynamodb.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
