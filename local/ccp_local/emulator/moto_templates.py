"""CloudFormation templates read as JSON first, in embedded AWS.

moto's `Stack.parse_template` reads every template with PyYAML's pure-Python loader, JSON ones too
(JSON is YAML): our translated template (SAM → CloudFormation, always JSON) took 2.5 s of a 4.9 s
deployment, and the integration suites deploy it for every test. JSON is tried first; anything that is
not JSON goes to moto's own YAML reading, so the answer is the same dict either way.
Pinned with the other moto patches (ccp_local.emulator.moto_transactions.MOTO_SERIES).
"""

from __future__ import annotations

import json
from typing import Any


def json_templates_first() -> None:
    from moto.cloudformation.models import Stack

    if getattr(Stack.parse_template, "_ccp_json_first", False):
        return
    yaml_reading = Stack.parse_template

    def parse_template(template: str) -> dict[str, Any]:
        try:
            parsed = json.loads(template)
        except ValueError:
            return yaml_reading(template)  # type: ignore[no-any-return]
        return parsed if isinstance(parsed, dict) else yaml_reading(template)

    parse_template._ccp_json_first = True  # type: ignore[attr-defined]
    Stack.parse_template = staticmethod(parse_template)  # type: ignore[method-assign,assignment]
