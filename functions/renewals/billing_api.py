"""Billing API: a member's invoices, paying one at the processor, receipts, and offline payments
recorded by staff. Nothing here lets a member mark an invoice paid."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import (
    APIGatewayRestResolver,
    Response,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ccp.api import (
    JSON,
    WITH_BODY,
    current_caller,
    documented,
    install_boundary,
    negotiated_format,
    once_per_key,
    portal_cors,
    request_moment,
    request_today,
    resolve,
)
from renewals import receipts
from renewals.billing_wiring import portal_url, service
from renewals.parked import parked_notices
from renewals.schemas import (
    INVOICE_ID_PATTERN,
    CheckoutOut,
    InvoiceList,
    InvoiceOut,
    OfflinePaymentIn,
    ParkedNoticeList,
    ParkedNoticeOut,
    ParkedPaymentList,
    ParkedPaymentOut,
    PaymentOut,
    ReceiptOut,
    RedriveOut,
    VoidedOut,
    VoidIn,
)

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True, cors=portal_cors())
install_boundary(app, logger)

MemberId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
InvoiceId = Annotated[str, Path(pattern=INVOICE_ID_PATTERN)]
RECEIPT_CONTENT = {
    JSON: {"schema": ReceiptOut.model_json_schema()},
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
}


@app.get("/members/<member_id>/invoices", responses=documented(200, "The member's invoices.", 404))
def list_invoices(member_id: MemberId) -> InvoiceList:
    views = service().invoices(member_id, request_today(app))
    return InvoiceList(
        invoices=[
            InvoiceOut(
                **v.invoice.model_dump(include=set(InvoiceOut.model_fields) - {"state", "member_note"}),
                state=v.state,
                member_note=next((d.member_note for d in reversed(v.invoice.history) if d.member_note), None),
            )
            for v in views
        ]
    )


@app.post(
    "/members/<member_id>/invoices/<invoice_id>/checkout",
    responses=documented(201, "A hosted payment page at the processor.", 404, 409),
)
def checkout(member_id: MemberId, invoice_id: InvoiceId) -> Response[CheckoutOut]:
    back = f"{portal_url()}/portal/#/invoices"
    session = service().checkout(
        member_id,
        invoice_id,
        now=request_moment(app),
        success_url=f"{back}?paid={invoice_id}",
        cancel_url=f"{back}?cancelled={invoice_id}",
    )
    metrics.add_metric(name="CheckoutsStarted", unit=MetricUnit.Count, value=1)
    body = CheckoutOut(
        checkout_id=session.checkout_id, checkout_url=session.checkout_url, expires_at=session.expires_at
    )
    return Response(status_code=201, content_type=JSON, body=body)


@app.post(
    "/members/<member_id>/invoices/<invoice_id>/payments",
    responses=documented(201, "Recorded (staff only: a check or money order that came by post).", *WITH_BODY, 404, 409),
)
def record_offline_payment(
    member_id: MemberId, invoice_id: InvoiceId, body: Annotated[OfflinePaymentIn, Body()]
) -> Response[PaymentOut]:
    staff = current_caller(app).subject

    def create() -> dict:
        result = service().record_offline_payment(
            member_id,
            invoice_id,
            amount=body.amount,
            method=body.method,
            reference=body.reference,
            staff=staff,
            now=request_moment(app),
        )
        metrics.add_metric(name="OfflinePaymentsRecorded", unit=MetricUnit.Count, value=1)
        if result.rolled_over:
            metrics.add_metric(name="CyclesRolledOver", unit=MetricUnit.Count, value=1)
        return PaymentOut(
            payment_id=result.payment.payment_id,
            invoice_id=invoice_id,
            amount=result.payment.amount,
            state="paid",
            method=body.method,
            reference=body.reference,
            recorded_by=staff,
            rolled_over=result.rolled_over,
            cycle_start=result.credential.cycle_start,
            cycle_end=result.credential.cycle_end,
            status=result.credential.status,
        ).model_dump(mode="json")

    result = once_per_key(
        app, f"{member_id}#payments", {"invoice_id": invoice_id, **body.model_dump(mode="json")}, create
    )
    return Response(status_code=201, content_type=JSON, body=PaymentOut.model_validate(result))


@app.post(
    "/staff/members/<member_id>/invoices/<invoice_id>/void",
    responses=documented(200, "Voided: no longer due, the reason kept.", *WITH_BODY, 404, 409),
)
def void_invoice(member_id: MemberId, invoice_id: InvoiceId, body: Annotated[VoidIn, Body()]) -> VoidedOut:
    voided = service().void(
        member_id,
        invoice_id,
        reason=body.reason,
        member_note=body.member_note,
        staff=current_caller(app).subject,
        now=request_moment(app),
    )
    return VoidedOut(invoice_id=voided.invoice_id, state="void", history=[h.model_dump() for h in voided.history])


@app.get("/staff/payments/parked", responses=documented(200, "Parked processor events, newest first."))
def parked_payments(limit: Annotated[int, Query(ge=1, le=200)] = 100) -> ParkedPaymentList:
    return ParkedPaymentList(
        payments=[
            ParkedPaymentOut(**p.model_dump(exclude={"processor_reference"})) for p in service().parked_payments(limit)
        ]
    )


@app.get("/staff/notices/parked", responses=documented(200, "Notices parked after failed sends, oldest first."))
def parked_notice_list(limit: Annotated[int, Query(ge=1, le=500)] = 200) -> ParkedNoticeList:
    return ParkedNoticeList(
        notices=[
            ParkedNoticeOut(**n.model_dump(include=set(ParkedNoticeOut.model_fields)), name=n.contact.name)
            for n in parked_notices().waiting(limit)
        ]
    )


@app.post("/staff/notices/redrive", responses=documented(200, "Put back and being sent.", 409))
def redrive_notices() -> RedriveOut:
    return RedriveOut(requeued=parked_notices().redrive(request_moment(app)))


@app.get(
    "/members/<member_id>/invoices/<invoice_id>/receipt",
    responses=documented(200, "The receipt as JSON or PDF.", 404, content=RECEIPT_CONTENT),
)
def receipt(
    member_id: MemberId,
    invoice_id: InvoiceId,
    format: Annotated[receipts.ReceiptFormat | None, Query(description="overrides the Accept header")] = None,
):
    found = service().receipt(member_id, invoice_id)
    if (format or negotiated_format(app, ("pdf", "json"))) == "pdf":
        pdf = receipts.as_pdf(found.state, found.invoice, found.payment, generated_at=request_moment(app))
        return Response(
            200,
            "application/pdf",
            pdf,
            headers={"Content-Disposition": f'attachment; filename="receipt-{invoice_id}.pdf"'},
        )
    return Response(
        200,
        JSON,
        ReceiptOut.model_validate(receipts.as_json(found.state, found.invoice, found.payment)).model_dump(mode="json"),
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return resolve(app, event, context)
