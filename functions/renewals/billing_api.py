"""Billing API: a member's invoices and recording a confirmed payment."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ccp.api import WITH_BODY, documented, install_boundary, once_per_key, request_moment, request_today, resolve
from ccp.data.dynamo import table
from ccp.data.members import MemberRepository
from ccp.data.outbound import EventPublisher
from ccp.data.recertification import RecertificationRepository
from ccp.data.renewals import RenewalRepository
from ccp.rules.versions import default_rule_book
from ccp.settings import IndexSettings, EventSettings, ObservabilitySettings, TableSettings
from renewals.billing import BillingService
from renewals.schemas import INVOICE_ID_PATTERN, InvoiceList, InvoiceOut, PaymentIn, PaymentOut

logger = Logger()
SETTINGS = (TableSettings, IndexSettings, ObservabilitySettings, EventSettings)
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True)
install_boundary(app, logger)

MemberId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
InvoiceId = Annotated[str, Path(pattern=INVOICE_ID_PATTERN)]


@lru_cache(maxsize=1)
def service() -> BillingService:
    events = EventPublisher(EventSettings.from_env().event_bus_name, source="ccp.renewals")
    return BillingService(MemberRepository(table()), RenewalRepository(table()), default_rule_book(), events, RecertificationRepository(table()))


@app.get("/members/<member_id>/invoices", responses=documented(200, "The member's invoices.", 404))
def list_invoices(member_id: MemberId) -> InvoiceList:
    views = service().invoices(member_id, request_today(app))
    return InvoiceList(
        invoices=[InvoiceOut(**v.invoice.model_dump(include=set(InvoiceOut.model_fields) - {"state"}), state=v.state) for v in views]
    )


@app.post("/members/<member_id>/invoices/<invoice_id>/payments", responses=documented(201, "Paid.", *WITH_BODY, 404, 409))
def pay(member_id: MemberId, invoice_id: InvoiceId, body: Annotated[PaymentIn, Body()]) -> Response[PaymentOut]:
    def create() -> dict:
        result = service().pay(
            member_id, invoice_id, amount=body.amount, processor_reference=body.processor_reference,
            now=request_moment(app), today=request_today(app),
        )
        metrics.add_metric(name="PaymentsRecorded", unit=MetricUnit.Count, value=1)
        if result.rolled_over:
            metrics.add_metric(name="CyclesRolledOver", unit=MetricUnit.Count, value=1)
        return PaymentOut(
            payment_id=result.payment.payment_id, invoice_id=invoice_id, amount=result.payment.amount, state="paid",
            rolled_over=result.rolled_over, cycle_start=result.credential.cycle_start, cycle_end=result.credential.cycle_end,
            status=result.credential.status,
        ).model_dump(mode="json")

    result = once_per_key(app, f"{member_id}#payments", {"invoice_id": invoice_id, **body.model_dump(mode="json")}, create)
    return Response(status_code=201, content_type="application/json", body=PaymentOut.model_validate(result))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return resolve(app, event, context)
