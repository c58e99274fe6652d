"""Request bodies more than one function accepts. Requests refuse unknown fields, so a client can
never set a server-owned field (status, counted points, ...)."""

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import ConfigDict, Field

from ccp.api import json_number
from ccp.domain.values import Category
from ccp.model import LazyModel

if TYPE_CHECKING:
    PointsIn = Decimal
else:
    PointsIn = json_number()


class Request(LazyModel):
    model_config = ConfigDict(extra="forbid")


class ActivityFieldsIn(Request):
    """The facts of a CE activity, as the AMTrax form asks for them (recorded in the cycle, or
    given as evidence in a recertification application)."""

    category: Category
    title: str = Field(min_length=1, max_length=200)
    provider: str | None = Field(default=None, max_length=200)
    points: PointsIn
    start_date: date
    end_date: date
