"""One line of an import file: a member and their history (docs/import.md). The member's fields are the
staff API's (`POST /staff/members`), the activities the CE form's, so a line is checked as the API
checks a request; a line that fails is reported field by field and writes nothing."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from pydantic import Field, ValidationError

from ccp.schemas import ActivityFieldsIn, Request
from record_ce.schemas import CREDENTIAL_CODE, NewMemberIn

LEGACY_ID = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$", description="the id in the old system")


class ImportedActivity(ActivityFieldsIn):
    credentials: list[str] = Field(min_length=1, max_length=10)
    source: Literal["member", "course_platform"] = "member"


class ImportedPayment(Request):
    credential: str = CREDENTIAL_CODE
    anniversary: date = Field(description="the anniversary the fee was for (its invoice's)")
    amount: Decimal = Field(gt=0, max_digits=9, decimal_places=2)
    paid_on: date
    method: Literal["card", "check", "money_order"]
    reference: str = Field(min_length=1, max_length=100, description="the processor's id, or the cheque's number")


class ImportedReinstatement(Request):
    credential: str = CREDENTIAL_CODE
    path: Literal["ccp", "exam"]
    reinstated_on: date


class ImportLine(NewMemberIn):
    """A member as the old system knew them: who they are, what they hold, and their history."""

    legacy_id: str = LEGACY_ID  # required here: it makes a re-import find them
    activities: list[ImportedActivity] = Field(default=[], max_length=500)
    payments: list[ImportedPayment] = Field(default=[], max_length=200)
    reinstatements: list[ImportedReinstatement] = Field(default=[], max_length=20)


class LineError(NamedTuple):
    """Why a line was not imported: where (`field`, a dotted path), the rule's code, and in words."""

    line: int
    legacy_id: str | None
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return self._asdict()


def parse_line(text: str | bytes, number: int) -> ImportLine | list[LineError]:
    """The line as a member with their history, or every reason it is not one."""
    try:
        raw = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return [LineError(number, None, "", "MALFORMED_LINE", "The line is not one JSON object.")]
    legacy_id = raw.get("legacy_id") if isinstance(raw, dict) else None
    legacy_id = legacy_id if isinstance(legacy_id, str) else None
    try:
        return ImportLine.model_validate(raw)
    except ValidationError as error:
        return [
            LineError(
                number,
                legacy_id,
                ".".join(str(part) for part in problem["loc"]),
                "INVALID_FIELD",
                problem["msg"],
            )
            for problem in error.errors(include_url=False)
        ]


def json_schema() -> dict[str, Any]:
    """The line's JSON Schema, as docs/import.schema.json holds it (`make contract` writes it)."""
    schema = ImportLine.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "A member of a CCP import file (one JSON object a line)",
        **schema,
    }


if __name__ == "__main__":
    print(json.dumps(json_schema(), indent=2, sort_keys=True))
