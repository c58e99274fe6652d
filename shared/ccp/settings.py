"""Function settings: environment variables parsed into models once per process.

An infrastructure test finds every model a function's code reads (`X.from_env()`) and holds the
template's environment variables to them.
"""

import os
from typing import Self

from pydantic import ConfigDict, Field

from ccp import dependency
from ccp.model import LazyModel


class EnvSettings(LazyModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    @classmethod
    def from_env(cls) -> Self:
        return cls.model_validate({k: v for k, v in os.environ.items() if k in cls.env_names()})

    @classmethod
    def env_names(cls) -> set[str]:
        return {field.alias or name for name, field in cls.model_fields.items()}


class TableSettings(EnvSettings):
    table_name: str = Field(alias="TABLE_NAME", min_length=3)


class IndexSettings(EnvSettings):
    # Shards of the date-keyed indexes; fixed for a deployment (items are written under it).
    index_shards: int = Field(default=16, alias="INDEX_SHARDS", ge=1, le=256)


class ObservabilitySettings(EnvSettings):
    service_name: str = Field(alias="POWERTOOLS_SERVICE_NAME")
    metrics_namespace: str = Field(alias="POWERTOOLS_METRICS_NAMESPACE")


@dependency
def table_settings() -> TableSettings:
    return TableSettings.from_env()


@dependency
def index_settings() -> IndexSettings:
    return IndexSettings.from_env()


class EmailSettings(EnvSettings):
    sender_email: str = Field(alias="SENDER_EMAIL")
    email_configuration_set: str | None = Field(default=None, alias="EMAIL_CONFIGURATION_SET")
    email_template_prefix: str = Field(alias="EMAIL_TEMPLATE_PREFIX")
    portal_url: str = Field(alias="PORTAL_URL")


class NoticeSettings(EmailSettings):
    mail_batch_bucket: str = Field(alias="MAIL_BATCH_BUCKET")


class RedriveSettings(EnvSettings):
    # The daily notices function: the staff console starts it after a re-drive, to send at once.
    renewal_notices_function: str = Field(alias="RENEWAL_NOTICES_FUNCTION")


class LoginSettings(EnvSettings):
    # The members' Cognito user pool: staff create a member's login with the member.
    user_pool_id: str = Field(alias="USER_POOL_ID")


class WorkQueueSettings(EnvSettings):
    renewal_queue_url: str = Field(alias="RENEWAL_QUEUE_URL")
    # Work a scheduled run does itself before it hands the rest to the queue's workers.
    inline_item_budget: int = Field(default=400, alias="INLINE_ITEM_BUDGET", ge=0)


class ImportSettings(EnvSettings):
    # An import's work (the split of its file, chunks of lines, invitation batches).
    import_queue_url: str = Field(alias="IMPORT_QUEUE_URL")


class EventSettings(EnvSettings):
    event_bus_name: str = Field(default="default", alias="EVENT_BUS_NAME")


class BadgeSettings(EnvSettings):
    credly_secret_name: str = Field(alias="CREDLY_SECRET_NAME")


class DocumentSettings(EnvSettings):
    document_bucket: str = Field(alias="DOCUMENT_BUCKET")


class PaymentSettings(EnvSettings):
    # One Secrets Manager secret: the processor's API key and webhook signing secret.
    payments_secret_name: str = Field(alias="PAYMENTS_SECRET_NAME")
