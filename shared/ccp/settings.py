"""Function settings: environment variables parsed into models once per process.

Each function module lists the settings models it needs in `SETTINGS`; an infrastructure test
holds the template's environment variables to those lists.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field


class EnvSettings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    @classmethod
    def from_env(cls):
        return cls.model_validate({k: v for k, v in os.environ.items() if k in cls.env_names()})

    @classmethod
    def env_names(cls) -> set[str]:
        return {field.alias or name for name, field in cls.model_fields.items()}


class TableSettings(EnvSettings):
    table_name: str = Field(alias="TABLE_NAME", min_length=3)


class ObservabilitySettings(EnvSettings):
    service_name: str = Field(alias="POWERTOOLS_SERVICE_NAME")
    metrics_namespace: str = Field(alias="POWERTOOLS_METRICS_NAMESPACE")


@lru_cache(maxsize=1)
def table_settings() -> TableSettings:
    return TableSettings.from_env()
