"""Public verification (`GET /verify/{member_id}`, no token): for employers, the member's name and each
credential's standing today, nothing else.

Its own function with a read-only role: the one route anybody can call runs where no code can write
the table or touch a login (the CE API's role can do both).
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ccp.api import documented, install_boundary, portal_cors, request_today, resolve
from record_ce.schemas import MEMBER_ID_PATTERN, VerificationOut, VerifiedCredentialOut
from record_ce.wiring import reading

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True, cors=portal_cors())
install_boundary(app, logger)

MemberId = Annotated[str, Path(pattern=MEMBER_ID_PATTERN)]


@app.get(
    "/verify/<member_id>",
    responses=documented(200, "The credential's standing today.", 404),
    description="Public (no token), for employers: the member's name and each credential's status; "
    "nothing personal beyond the name. Throttled per client.",
)
def verify_credential(member_id: MemberId) -> VerificationOut:
    found = reading().verification(member_id, request_today(app))
    return VerificationOut(
        member_id=found.member_id,
        name=found.name,
        credentials=[VerifiedCredentialOut(**c._asdict()) for c in found.credentials],
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return resolve(app, event, context)
