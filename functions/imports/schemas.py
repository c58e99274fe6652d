"""Request and response bodies of the import routes (docs/api.md, "Import")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field, StrictBool

from ccp.model import LazyModel
from ccp.schemas import Request
from recertify.schemas import UploadOut  # the same presigned S3 POST a document upload gets

IMPORT_ID_PATTERN = r"^[0-9]{14}-[0-9a-f]{8}$"


class NewImportIn(Request):
    dry_run: StrictBool = Field(description="check every line and report what would happen; write nothing")


class InvitationsIn(Request):
    limit: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description="invite at most this many not yet invited (a batch); all if left out",
    )


class ImportErrorOut(LazyModel):
    line: int
    legacy_id: str | None
    field: str
    code: str
    message: str


class ImportOut(LazyModel):
    import_id: str
    state: Literal["waiting_for_file", "running", "done", "failed"]
    dry_run: bool
    created_at: datetime
    import_day: date | None
    lines: int
    imported: int = Field(description="members written (in a dry run: that would be)")
    unchanged: int = Field(description="members imported before from the same line: nothing written")
    invalid: int
    errors: list[ImportErrorOut] = Field(description="the first 1,000, in line order")
    report_url: str | None = Field(description="every error, as CSV (a link valid for 5 minutes)")
    invitations_sent: int
    failure: str | None = Field(description="why a failed import stopped (its file could not be read)")


class ImportCreatedOut(LazyModel):
    import_id: str
    dry_run: bool
    upload: UploadOut = Field(description="a presigned S3 POST: the form's fields, then the file as `file`")
    content_type: str
    max_bytes: int


class InvitationsOut(LazyModel):
    import_id: str
    queued: int = Field(description="members whose invitation will now be sent")
