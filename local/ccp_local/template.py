"""Reading infra/template.yaml: its resources, routes, functions and table definition."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "infra" / "template.yaml"


@dataclass(frozen=True)
class ApiRoute:
    function: str  # logical id
    method: str
    path: str  # API Gateway path template, e.g. /members/{member_id}
    authorized: bool


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    handler: str  # module.path.function
    code_dir: Path
    environment: dict[str, Any]


@lru_cache(maxsize=4)
def load(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    return yaml_parse(path.read_text())


def resources(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_name}


def functions(template: dict[str, Any] | None = None, path: Path = TEMPLATE_PATH) -> list[FunctionSpec]:
    template = template or load(path)
    globals_ = template.get("Globals", {}).get("Function", {})
    specs = []
    for logical_id, resource in resources(template, "AWS::Serverless::Function").items():
        props = {**globals_, **resource["Properties"]}
        env = {
            **globals_.get("Environment", {}).get("Variables", {}),
            **resource["Properties"].get("Environment", {}).get("Variables", {}),
        }
        specs.append(
            FunctionSpec(
                logical_id=logical_id,
                handler=props["Handler"],
                code_dir=(path.parent / props["CodeUri"]).resolve(),
                environment=env,
            )
        )
    return specs


def api_routes(template: dict[str, Any] | None = None) -> list[ApiRoute]:
    template = template or load()
    routes = []
    for api_id, api in resources(template, "AWS::Serverless::Api").items():
        has_default_auth = bool(api["Properties"].get("Auth", {}).get("DefaultAuthorizer"))
        for fn_id, fn in resources(template, "AWS::Serverless::Function").items():
            for event in fn["Properties"].get("Events", {}).values():
                if event["Type"] != "Api":
                    continue
                props = event["Properties"]
                if props.get("RestApiId", {}).get("Ref") != api_id:
                    continue
                auth = props.get("Auth", {}).get("Authorizer")
                routes.append(
                    ApiRoute(
                        function=fn_id,
                        method=props["Method"].upper(),
                        path=props["Path"],
                        authorized=has_default_auth and auth != "NONE",
                    )
                )
    return routes


def table_definition(template: dict[str, Any] | None = None, logical_id: str = "CcpTable") -> dict[str, Any]:
    """The table's create_table arguments, taken from the template itself."""
    props = (template or load())["Resources"][logical_id]["Properties"]
    definition = {
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props["BillingMode"],
    }
    if props.get("GlobalSecondaryIndexes"):
        definition["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if props.get("StreamSpecification"):
        definition["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return definition


@dataclass(frozen=True)
class StreamSource:
    """A DynamoDB stream event source of a function (the table's changes, in order)."""

    function: str
    table: str  # logical id of the table
    batch_size: int
    window_seconds: float = 0  # MaximumBatchingWindowInSeconds
    filters: tuple[str, ...] = ()  # FilterCriteria patterns (JSON), as Lambda applies them


@dataclass(frozen=True)
class QueueSource:
    """An SQS event source of a function (what Lambda's event source mapping does)."""

    function: str
    queue: str  # logical id of the queue
    batch_size: int
    reports_failures: bool


def queue_sources(template: dict[str, Any] | None = None) -> list[QueueSource]:
    template = template or load()
    sources = []
    for fn_id, fn in resources(template, "AWS::Serverless::Function").items():
        for event in fn["Properties"].get("Events", {}).values():
            if event["Type"] != "SQS":
                continue
            props = event["Properties"]
            sources.append(
                QueueSource(
                    function=fn_id,
                    queue=props["Queue"]["Fn::GetAtt"][0],
                    batch_size=int(props.get("BatchSize", 10)),
                    reports_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                )
            )
    return sources


def stream_sources(template: dict[str, Any] | None = None) -> list[StreamSource]:
    template = template or load()
    return [
        StreamSource(
            function=fn_id,
            table=event["Properties"]["Stream"]["Fn::GetAtt"][0],
            batch_size=int(event["Properties"].get("BatchSize", 100)),
            window_seconds=float(event["Properties"].get("MaximumBatchingWindowInSeconds", 0)),
            filters=tuple(f["Pattern"] for f in event["Properties"].get("FilterCriteria", {}).get("Filters", [])),
        )
        for fn_id, fn in resources(template, "AWS::Serverless::Function").items()
        for event in fn["Properties"].get("Events", {}).values()
        if event["Type"] == "DynamoDB"
    ]
