"""Entities as DynamoDB items: the data layer's one mapping (reading back is each model's own
validation of the item)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel


def to_item(model: BaseModel) -> dict[str, Any]:
    """A record as a DynamoDB item: dates as ISO strings, Decimals kept, None dropped."""
    item: dict[str, Any] = _plain(model.model_dump(mode="python", exclude_none=True))
    return item


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, bool | Decimal | str | int):
        return value
    if isinstance(value, float):  # never stored: points are Decimal end to end
        raise TypeError("float values are not stored")
    return value
