"""The template and the code agree: handlers import, routes match both ways, settings are
covered, the table is protected, policies are least-privilege, and cfn-lint is clean."""

import importlib
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver

from ccp_local import template as tpl
from tests.support import figures

ROOT = tpl.ROOT
TEMPLATE = tpl.load()
FUNCTIONS = tpl.functions()
ROUTES = tpl.api_routes()


def handler_module(spec):
    return importlib.import_module(spec.handler.rsplit(".", 1)[0])


@pytest.mark.parametrize("spec", FUNCTIONS, ids=[f.logical_id for f in FUNCTIONS])
def test_every_handler_in_the_template_imports_and_is_callable(spec):
    module = handler_module(spec)
    assert callable(getattr(module, spec.handler.rsplit(".", 1)[1]))
    assert (spec.code_dir / spec.handler.split(".")[0]).is_dir()


def resolver_routes(module):
    app = next(v for v in vars(module).values() if isinstance(v, APIGatewayRestResolver))
    schema = json.loads(app.get_openapi_json_schema())
    return {(method.upper(), path) for path, item in schema["paths"].items() for method in item}


def test_every_template_route_has_a_resolver_route_and_back():
    from_template, from_code = set(), set()
    api_functions = {r.function for r in ROUTES}
    for spec in FUNCTIONS:
        if spec.logical_id in api_functions:
            from_code |= {(spec.logical_id, m, p) for m, p in resolver_routes(handler_module(spec))}
    from_template = {(r.function, r.method, r.path) for r in ROUTES if r.method != "ANY"}
    assert from_template == from_code


def test_every_path_sends_its_other_methods_to_its_function_for_a_405():
    declared = {(r.function, r.path) for r in ROUTES if r.method != "ANY"}
    catch_all = {(r.function, r.path) for r in ROUTES if r.method == "ANY"}
    assert declared == catch_all


def test_every_api_route_is_behind_the_cognito_authorizer_but_the_signed_webhook_and_has_an_access_rule():
    from ccp.access import public, rule_for

    for route in ROUTES:
        assert rule_for(route.path) is not None, f"{route.path} has no access rule"
        # Public on purpose, and only these: the processor proves itself with a signature.
        assert route.authorized == (rule_for(route.path) is not public), route
    assert {r.path for r in ROUTES if not r.authorized} == {"/webhooks/payments", "/verify/{member_id}"}


@pytest.mark.parametrize("spec", FUNCTIONS, ids=[f.logical_id for f in FUNCTIONS])
def test_the_template_sets_every_environment_variable_a_function_reads(spec):
    """What the code reads, found in the code: every settings model read (`X.from_env()`,
    `table_settings()`, `index_settings()`) in any module of ours the handler imports."""
    import ccp.settings

    module = spec.handler.rsplit(".", 1)[0]
    listing = (
        f"import json, sys, {module}; "
        "print(json.dumps([m.__file__ for m in list(sys.modules.values()) if getattr(m, '__file__', None)]))"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", listing],
            env={**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / d) for d in ("functions", "shared"))},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    ours = [
        Path(f) for f in loaded if Path(f).is_relative_to(ROOT / "functions") or Path(f).is_relative_to(ROOT / "shared")
    ]
    read = set()
    for source in (f.read_text() for f in ours):
        read |= set(re.findall(r"\b(\w+Settings)\.from_env\(", source))
        read |= {name for call, name in READERS.items() if f"{call}()" in source and f"def {call}(" not in source}
    models = [getattr(ccp.settings, name) for name in sorted(read)]
    needed = set().union(*(model.env_names() for model in models)) if models else set()
    assert "TableSettings" in read  # every function reads its table (a check that the scan finds something)
    assert needed <= set(spec.environment), needed - set(spec.environment)


READERS = {"table_settings": "TableSettings", "index_settings": "IndexSettings"}


def test_the_table_is_protected_and_expires_idempotency_records():
    props = TEMPLATE["Resources"]["CcpTable"]["Properties"]
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["DeletionProtectionEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert TEMPLATE["Resources"]["CcpTable"]["DeletionPolicy"] == "Retain"
    # Powertools Idempotency writes its expiry into the same attribute.
    import inspect

    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    assert inspect.signature(DynamoDBPersistenceLayer).parameters["expiry_attr"].default == "expiration"


def test_key_attributes_in_the_template_are_the_ones_the_key_builders_write():
    from ccp.data import keys

    props = TEMPLATE["Resources"]["CcpTable"]["Properties"]
    names = {a["AttributeName"] for a in props["AttributeDefinitions"]}
    assert names == {"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk", "gsi4pk", "gsi4sk"}
    from datetime import date

    day = date(2020, 5, 4)
    written = (
        set(keys.anniversary_gsi_keys("M1", "RMA", day))
        | set(keys.due_keys("M1", "RMA", day))
        | set(keys.unlock_keys("M1", "RMA", day))
        | set(keys.name_search_keys("Lee", "Pat", "M1"))
        | set(keys.email_search_keys("pat@example.org", "M1"))
    )
    assert written == names - {"pk", "sk"}
    indexes = {i["IndexName"]: {k["AttributeName"] for k in i["KeySchema"]} for i in props["GlobalSecondaryIndexes"]}
    assert indexes == {f"gsi{n}": {f"gsi{n}pk", f"gsi{n}sk"} for n in (1, 2, 3, 4)}


def policy_statements(resource):
    for policy in resource["Properties"].get("Policies", []):
        if isinstance(policy, dict) and "Statement" in policy:
            yield from policy["Statement"]


# Actions AWS offers no resource-level permission for: "*" is the only resource they take.
STAR_RESOURCE_ONLY = {"ses:GetTemplate"}
READS_SECRETS = {
    "BadgeWorkerFunction": "CredlySecret",
    "BillingFunction": "PaymentsSecret",
    "PaymentWebhookFunction": "PaymentsSecret",
}
SES_ALLOWED = {"ses:SendBulkTemplatedEmail", "ses:GetTemplate"}  # sending, and reading the words to print
DELETES_ITEMS = {"RecordCeFunction"}  # a member removes a CE activity; nothing else deletes


@pytest.mark.parametrize("spec", FUNCTIONS, ids=[f.logical_id for f in FUNCTIONS])
def test_function_policies_name_actions_and_resources(spec):
    resource = TEMPLATE["Resources"][spec.logical_id]
    for statement in policy_statements(resource):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in a for a in actions), actions
        assert "dynamodb:Scan" not in actions
        assert "dynamodb:DeleteItem" not in actions or spec.logical_id in DELETES_ITEMS, spec.logical_id
        assert {a for a in actions if a.startswith("ses:")} <= SES_ALLOWED, actions
        if any(a.startswith("secretsmanager:") for a in actions):  # read one's own secret, nothing else
            assert actions == ["secretsmanager:GetSecretValue"], actions
            assert statement["Resource"] == {"Ref": READS_SECRETS[spec.logical_id]}, spec.logical_id
        if statement["Resource"] == "*":
            assert set(actions) <= STAR_RESOURCE_ONLY, actions
            figures.add("least privilege", "statements with a * resource (ses:GetTemplate only)")
    for policy in resource["Properties"].get("Policies", []):
        assert not isinstance(policy, str), f"managed policy {policy} is broader than needed"
    figures.add("least privilege", "function policies held to the allowlist")


def test_the_public_verification_route_runs_in_a_function_that_can_only_read():
    """Anybody may call GET /verify/{member_id}: its function's role reads the table and nothing more
    (the CE API's role may write the table and update logins)."""
    routes = {r.function for r in ROUTES if r.path == "/verify/{member_id}"}
    assert routes == {"VerifyFunction"}
    actions = {a for s in policy_statements(TEMPLATE["Resources"]["VerifyFunction"]) for a in s["Action"]}
    assert actions == {"dynamodb:GetItem", "dynamodb:Query"}
    assert "/verify/" not in " ".join(r.path for r in ROUTES if r.function == "RecordCeFunction")


def _requirement_name(requirement: str) -> str:
    return re.split(r"[\[<>=~!; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pins(lock: Path) -> dict[str, str]:
    """name -> version of a lock written by `make lock` (uv pip compile)."""
    pins = {}
    for line in lock.read_text().splitlines():
        if line and not line[0].isspace() and not line.startswith("#") and "==" in line:
            name, version = line.split(" ")[0].split(";")[0].split("==")
            pins[_requirement_name(name)] = version
    return pins


def test_the_layer_ships_the_runtime_dependencies_of_the_project():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    layer = [
        line.split("#")[0].strip()
        for line in (ROOT / "shared" / "requirements.in").read_text().splitlines()
        if line.split("#")[0].strip()
    ]
    # boto3 comes with the Lambda runtime.
    assert {_requirement_name(d) for d in declared} - {"boto3"} == {_requirement_name(r) for r in layer}


def test_the_tests_run_the_versions_the_layer_ships():
    """The layer's lock (python3.11 arm64) and development's pin every shared package alike, so the
    tests run what is deployed; both are pinned to the last digit with hashes."""
    layer = _pins(ROOT / "shared" / "requirements.txt")
    development = _pins(ROOT / "requirements" / "dev.txt")
    assert {"aws-lambda-powertools", "pydantic", "pydantic-core", "fpdf2", "pillow", "stripe"} <= set(layer)
    assert {name: version for name, version in layer.items() if development.get(name) != version} == {}
    for lock in (ROOT / "shared" / "requirements.txt", ROOT / "requirements" / "dev.txt"):
        lines = lock.read_text().splitlines()
        pinned = [n for n, line in enumerate(lines) if line and not line[0].isspace() and "==" in line]
        assert pinned, lock
        unhashed = [lines[n] for n in pinned if not lines[n + 1].strip().startswith("--hash=sha256:")]
        assert unhashed == [], f"{lock.name}: pins without a hash"


def test_cfn_lint_is_clean_on_the_template_and_on_its_translated_form(tmp_path):
    import boto3
    from moto import mock_aws

    from ccp_local.deploy import translate

    with mock_aws():
        translated = translate(
            TEMPLATE,
            tpl.TEMPLATE_PATH.parent,
            s3=boto3.client("s3", region_name="us-east-1"),
            iam=boto3.client("iam", region_name="us-east-1"),
            region="us-east-1",
        )
    out = tmp_path / "translated.json"
    out.write_text(json.dumps(translated))
    for path in (tpl.TEMPLATE_PATH, out):
        result = subprocess.run(
            [str(Path(sys.executable).parent / "cfn-lint"), str(path)], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
