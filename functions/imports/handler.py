"""The import routes for staff (docs/api.md, "Import"): make an import with its upload form, start it,
follow it, and send its members' invitations. The work itself is the workers' (imports.worker)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ccp.api import WITH_BODY, current_caller, documented, install_boundary, portal_cors, request_moment, resolve
from imports.schemas import (
    IMPORT_ID_PATTERN,
    ImportCreatedOut,
    ImportErrorOut,
    ImportOut,
    InvitationsIn,
    InvitationsOut,
    NewImportIn,
)
from imports.service import FILE_TYPE, MAX_FILE_BYTES, ImportView
from imports.wiring import imports
from recertify.schemas import UploadOut

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True, cors=portal_cors())
install_boundary(app, logger)

ImportId = Annotated[str, Path(pattern=IMPORT_ID_PATTERN)]


@app.post("/staff/imports", responses=documented(201, "The import, with the form to upload its file.", *WITH_BODY))
def create_import(body: Annotated[NewImportIn, Body()]) -> Response[ImportCreatedOut]:
    record, form = imports().create(dry_run=body.dry_run, staff=current_caller(app).subject, now=request_moment(app))
    out = ImportCreatedOut(
        import_id=record.import_id,
        dry_run=record.dry_run,
        upload=UploadOut(url=form["url"], fields=form["fields"]),
        content_type=FILE_TYPE,
        max_bytes=MAX_FILE_BYTES,
    )
    return Response(status_code=201, content_type="application/json", body=out)


@app.post(
    "/staff/imports/<import_id>/start",
    responses=documented(202, "Started: the workers check and import every line.", 404, 409),
)
def start_import(import_id: ImportId) -> Response[ImportOut]:
    imports().start(import_id, now=request_moment(app))
    return Response(status_code=202, content_type="application/json", body=_out(imports().view(import_id)))


@app.get("/staff/imports/<import_id>", responses=documented(200, "How far the import got, and what it found.", 404))
def import_status(import_id: ImportId) -> ImportOut:
    return _out(imports().view(import_id))


@app.post(
    "/staff/imports/<import_id>/invitations",
    responses=documented(202, "The invitations are being sent, each member once.", *WITH_BODY, 404, 409),
)
def send_invitations(import_id: ImportId, body: Annotated[InvitationsIn, Body()]) -> Response[InvitationsOut]:
    queued = imports().invite(import_id, limit=body.limit)
    return Response(
        status_code=202, content_type="application/json", body=InvitationsOut(import_id=import_id, queued=queued)
    )


def _out(view: ImportView) -> ImportOut:
    record = view.record
    return ImportOut(
        **record.model_dump(include={"import_id", "state", "dry_run", "created_at", "import_day", "lines"}),
        imported=record.imported,
        unchanged=record.unchanged,
        invalid=record.invalid,
        errors=[ImportErrorOut.model_validate(e) for e in view.errors],
        report_url=view.report_url,
        invitations_sent=record.invitations_sent,
        failure=record.failure,
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return resolve(app, event, context)
