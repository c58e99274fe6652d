"""The project's own fuzzing check, loaded by schemathesis (tests/proof/schemathesis.toml)."""

import schemathesis

SCHEMA_COMPLAINTS = {"VALIDATION_ERROR", "UNKNOWN_FIELD", "MALFORMED_JSON"}


@schemathesis.check
def schema_and_server_agree(ctx, response, case):
    """A request the OpenAPI document calls valid is never refused as malformed: the document
    states every shape rule the server enforces (only rules with their own codes remain)."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code not in (400, 422):
        return None
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        raise AssertionError(f"{response.status_code} without the error envelope") from None
    if code in SCHEMA_COMPLAINTS:
        raise AssertionError(f"A schema-valid request was refused with {code}: the document and the server disagree")
    return None
