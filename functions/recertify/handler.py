"""Recertification, documents and audits (docs/api.md member and staff routes)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import (
    APIGatewayRestResolver,
    Response,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ccp.api import (
    WITH_BODY,
    current_caller,
    documented,
    install_boundary,
    once_per_key,
    portal_cors,
    request_moment,
    request_today,
    resolve,
)
from ccp.domain.values import ActivityClaim
from ccp.rules.recertification import RecertPath
from recertify.schemas import (
    APPLICATION_ID_PATTERN,
    AUDIT_ID_PATTERN,
    DOCUMENT_ID_PATTERN,
    ApplicationIn,
    ApplicationList,
    ApplicationOut,
    AuditDecisionIn,
    AuditList,
    AuditOut,
    ClosedPathOut,
    DeadlineIn,
    DocumentIn,
    DocumentLinkOut,
    DocumentOut,
    ExamResultIn,
    OptionsOut,
    StaffDecisionIn,
)
from recertify.service import (
    MAX_DOCUMENT_BYTES,
    Application,
    EvidenceActivity,
    StaffMember,
)
from recertify.wiring import audits, proof_documents, service

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True, cors=portal_cors())
install_boundary(app, logger)

MemberId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
ApplicationId = Annotated[str, Path(pattern=APPLICATION_ID_PATTERN)]
AuditId = Annotated[str, Path(pattern=AUDIT_ID_PATTERN)]
DocumentIdPath = Annotated[str, Path(pattern=DOCUMENT_ID_PATTERN)]
AUDIT_REQUIREMENT = (
    "Upload proof (certificates, transcripts, employer letters) for the CE entries of the audited cycle "
    "before the deadline; staff then mark the audit passed or failed."
)


def _history(decisions) -> list[dict]:
    """Staff see the whole history; members see what was decided, when and what staff wrote to them
    (`member_note`), never who decided or the internal note."""
    if current_caller(app).is_staff:
        return [d.model_dump() for d in decisions]
    return [{**d.model_dump(), "by": None, "note": None} for d in decisions]


def _application_out(application) -> ApplicationOut:
    return ApplicationOut.model_validate({**application.model_dump(), "decisions": _history(application.decisions)})


def _audit_out(audit) -> AuditOut:
    return AuditOut(
        **audit.model_dump(include=set(AuditOut.model_fields) - {"required", "decisions"}),
        required=AUDIT_REQUIREMENT,
        decisions=_history(audit.decisions),
    )


# ---- member routes ---------------------------------------------------------------------


@app.get("/members/<member_id>/recertification-options", responses=documented(200, "Open and closed paths.", 404))
def recertification_options(
    member_id: MemberId, credential: Annotated[str, Query(min_length=2, max_length=8)]
) -> OptionsOut:
    code, options = service().options(member_id, credential, request_today(app))
    return OptionsOut(
        credential=code,
        paths=[p.value for p in options.open],
        reasons=[ClosedPathOut(path=c.path.value, code=c.code, reason=c.reason) for c in options.closed],
    )


@app.post("/members/<member_id>/recertifications", responses=documented(201, "Applied.", *WITH_BODY, 404, 409))
def apply(member_id: MemberId, body: Annotated[ApplicationIn, Body()]) -> Response[ApplicationOut]:
    def create() -> dict:
        request = Application(
            credential=body.credential,
            path=RecertPath(body.path),
            felony_conviction=body.felony_conviction,
            activities=[
                EvidenceActivity(ActivityClaim.model_validate(a.model_dump(exclude={"document_ids"})), a.document_ids)
                for a in body.activities
            ],
            document_ids=body.document_ids,
            attested=body.attested,
        )
        created = service().apply(member_id, request, today=request_today(app), now=request_moment(app))
        return _application_out(created).model_dump(mode="json")

    result = once_per_key(app, f"{member_id}#recertifications", body.model_dump(mode="json"), create)
    return Response(status_code=201, content_type="application/json", body=ApplicationOut.model_validate(result))


@app.get("/members/<member_id>/recertifications/<application_id>", responses=documented(200, "The application.", 404))
def get_application(member_id: MemberId, application_id: ApplicationId) -> ApplicationOut:
    return _application_out(service().application(member_id, application_id))


@app.post("/members/<member_id>/documents", responses=documented(201, "A presigned upload.", *WITH_BODY, 404, 409))
def new_document(member_id: MemberId, body: Annotated[DocumentIn, Body()]) -> Response[DocumentOut]:
    document, form = proof_documents().new_document(
        member_id,
        purpose=body.purpose,
        content_type=body.content_type,
        filename=body.filename,
        size=body.size_bytes,
        audit_id=body.audit_id,
        now=request_moment(app),
    )
    if body.audit_id:
        audits().attach(body.audit_id, document.document_id)
    out = DocumentOut(
        document_id=document.document_id,
        upload={"url": form["url"], "fields": form["fields"]},
        max_bytes=MAX_DOCUMENT_BYTES,
        content_type=document.content_type,
    )
    return Response(status_code=201, content_type="application/json", body=out)


@app.get("/members/<member_id>/documents/<document_id>", responses=documented(200, "A download link.", 404))
def document_link(member_id: MemberId, document_id: DocumentIdPath) -> DocumentLinkOut:
    document, url = proof_documents().document_link(member_id, document_id)
    return DocumentLinkOut(
        document_id=document.document_id,
        filename=document.filename,
        content_type=document.content_type,
        purpose=document.purpose,
        download_url=url,
    )


@app.get("/members/<member_id>/audits", responses=documented(200, "The member's audits.", 404))
def member_audits(member_id: MemberId) -> AuditList:
    return AuditList(audits=[_audit_out(a) for a in audits().member_audits(member_id)])


# ---- staff routes ----------------------------------------------------------------------


@app.get("/staff/recertifications", responses=documented(200, "Applications in a state."))
def review_queue(
    state: Annotated[str, Query(pattern=r"^(submitted|staff_review|exam_authorized|fee_reversed)$")] = "submitted",
) -> ApplicationList:
    return ApplicationList(applications=[_application_out(a) for a in service().queue(state)])


@app.post(
    "/staff/recertifications/<application_id>/decision", responses=documented(200, "Decided.", *WITH_BODY, 404, 409)
)
def decide(application_id: ApplicationId, body: Annotated[StaffDecisionIn, Body()]) -> ApplicationOut:
    decided = service().decide(
        application_id,
        approve=body.decision == "approve",
        note=body.note,
        member_note=body.member_note,
        staff=_staff(),
        today=request_today(app),
        now=request_moment(app),
    )
    return _application_out(decided)


@app.post(
    "/staff/recertifications/<application_id>/exam-result", responses=documented(200, "Recorded.", *WITH_BODY, 404, 409)
)
def exam_result(application_id: ApplicationId, body: Annotated[ExamResultIn, Body()]) -> ApplicationOut:
    recorded = service().record_exam(
        application_id,
        passed=body.passed,
        exam_date=body.exam_date,
        member_note=body.member_note,
        staff=_staff(),
        today=request_today(app),
        now=request_moment(app),
    )
    return _application_out(recorded)


@app.get("/staff/audits", responses=documented(200, "The year's audits."))
def year_audits(year: Annotated[int, Query(ge=2000, le=2100)]) -> AuditList:
    return AuditList(audits=[_audit_out(a) for a in audits().year_audits(year)])


@app.post("/staff/audits/<audit_id>/decision", responses=documented(200, "Decided.", *WITH_BODY, 404, 409))
def audit_decision(audit_id: AuditId, body: Annotated[AuditDecisionIn, Body()]) -> AuditOut:
    decided = audits().decide(
        audit_id,
        passed=body.decision == "passed",
        note=body.note,
        member_note=body.member_note,
        staff=_staff(),
        today=request_today(app),
        now=request_moment(app),
    )
    return _audit_out(decided)


@app.post("/staff/audits/<audit_id>/deadline", responses=documented(200, "The new deadline.", *WITH_BODY, 404, 409))
def extend_audit_deadline(audit_id: AuditId, body: Annotated[DeadlineIn, Body()]) -> AuditOut:
    extended = audits().extend_deadline(
        audit_id,
        deadline=body.deadline,
        reason=body.reason,
        member_note=body.member_note,
        staff=_staff(),
        today=request_today(app),
        now=request_moment(app),
    )
    return _audit_out(extended)


def _staff() -> StaffMember:
    caller = current_caller(app)
    return StaffMember(subject=caller.subject, member_id=caller.member_id)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return resolve(app, event, context)
