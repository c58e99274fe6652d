"""The API's one contract: the merged OpenAPI 3.1 document of every API function, as Powertools
exports it from the resolvers. Committed as docs/openapi.json (`make contract` writes it; a test fails
when the code and the committed document drift apart); the local stack serves it with its own address.

    python -m ccp_local.openapi > docs/openapi.json
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

from ccp_local import template as tpl

TITLE, VERSION = "CCP API", "1.0.0"


def merged_document() -> dict[str, Any]:
    from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver

    merged: dict[str, Any] = {"openapi": "3.1.0", "info": {"title": TITLE, "version": VERSION}, "paths": {}}
    routes = tpl.api_routes()
    api_functions = {r.function for r in routes}
    for spec in sorted(tpl.functions(), key=lambda s: s.logical_id):
        if spec.logical_id not in api_functions:
            continue
        module = importlib.import_module(spec.handler.rsplit(".", 1)[0])
        app = next(v for v in vars(module).values() if isinstance(v, APIGatewayRestResolver))
        document = json.loads(app.get_openapi_json_schema(title=TITLE, version=VERSION))
        merged["paths"].update(document.get("paths", {}))
        merged.setdefault("components", {}).setdefault("schemas", {}).update(
            document.get("components", {}).get("schemas", {})
        )
    merged.setdefault("components", {})["securitySchemes"] = {
        "cognito": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    merged["security"] = [{"cognito": []}]
    for route in routes:
        if not route.authorized and route.method != "ANY":  # public on purpose (the signed webhook, verification)
            merged["paths"][route.path][route.method.lower()]["security"] = []
    merged["paths"] = dict(sorted(merged["paths"].items()))
    merged["components"]["schemas"] = dict(sorted(merged["components"].get("schemas", {}).items()))
    return merged


def as_text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(as_text(merged_document()))
