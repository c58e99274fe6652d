"""One committed contract: docs/openapi.json is what the resolvers export, and the template's routes,
the access rules and the document name the same API."""

import json

from ccp.access import public, rule_for
from ccp_local import template as tpl
from ccp_local.openapi import as_text, merged_document

COMMITTED = tpl.ROOT / "docs" / "openapi.json"
ROUTES = [r for r in tpl.api_routes() if r.method != "ANY"]


def test_the_committed_contract_is_what_the_code_exports():
    assert COMMITTED.read_text() == as_text(merged_document()), (
        "docs/openapi.json differs from the resolvers: run `make contract` and commit the change"
    )


def test_every_template_route_is_in_the_contract_and_every_contract_operation_in_the_template():
    document = json.loads(COMMITTED.read_text())
    in_contract = {(path, method.upper()) for path, operations in document["paths"].items() for method in operations}
    assert in_contract == {(r.path, r.method) for r in ROUTES}


def test_every_operation_of_the_contract_has_an_access_rule_and_only_public_ones_need_no_token():
    document = json.loads(COMMITTED.read_text())
    for path, operations in document["paths"].items():
        rule = rule_for(path)
        assert rule is not None, f"{path} has no access rule: nobody could call it"
        for method, operation in operations.items():
            open_to_all = operation.get("security") == []
            assert open_to_all == (rule is public), (method, path)


def test_the_committed_import_schema_is_what_the_import_checks_lines_with():
    from imports.lines import json_schema

    committed = tpl.ROOT / "docs" / "import.schema.json"
    assert json.loads(committed.read_text()) == json_schema(), (
        "docs/import.schema.json differs from the import's line model: run `make contract` and commit the change"
    )


def test_the_worked_example_of_the_import_follows_the_schema():
    import jsonschema

    schema = json.loads((tpl.ROOT / "docs" / "import.schema.json").read_text())
    lines = (tpl.ROOT / "docs" / "import-example.jsonl").read_text().splitlines()
    for line in lines:
        jsonschema.validate(json.loads(line), schema)
    assert len(lines) == 6
