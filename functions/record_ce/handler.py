"""CE recording API (docs/api.md, member routes and POST /staff/members).

Each route: validated input (Powertools + pydantic) -> one service call -> response schema.
Access is checked in `ccp.api.resolve` (before validation); errors are mapped by type in
`ccp.api.install_boundary`.
"""

from __future__ import annotations

from datetime import date
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
from ccp.domain.records import MemberState
from ccp.domain.values import ActivityClaim
from ccp.rules.status import worst
from record_ce import transcript as render
from record_ce.enrolment_wiring import enrolment
from record_ce.reading import asked_day
from record_ce.schemas import (
    ACTIVITY_ID_PATTERN,
    MEMBER_ID_PATTERN,
    CategoryProgressOut,
    CeActivityCreated,
    CeActivityIn,
    CeActivityList,
    CeActivityOut,
    CeActivityPatch,
    ContactOut,
    ContactPatch,
    CredentialAdded,
    CredentialOut,
    EmailConfirmationIn,
    HistoryEntryOut,
    MemberCreated,
    MemberFileOut,
    MemberFound,
    MemberOut,
    MemberSearch,
    NewCredentialIn,
    NewMemberIn,
    ProgressOut,
    StaffMemberPatch,
    TranscriptFormat,
)
from record_ce.service import (
    ActivityRequest,
    Editor,
    NewCredential,
    NewMember,
    RecordedActivity,
)
from record_ce.wiring import reading, recording

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True, cors=portal_cors())
install_boundary(app, logger)

MemberId = Annotated[str, Path(pattern=MEMBER_ID_PATTERN)]
ActivityId = Annotated[str, Path(pattern=ACTIVITY_ID_PATTERN)]
TRANSCRIPT_CONTENT = {
    "application/json": {"schema": {"type": "object"}},
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
    "text/csv": {"schema": {"type": "string"}},
}


AsOf = Annotated[
    date | None,
    Query(
        description="staff: the record as it stood at the end of this past day (YYYY-MM-DD; rules §5). "
        "Members: today only (403 STAFF_ONLY); a day to come: 422 FUTURE_DATE"
    ),
]


def _asked_day(at: date | None) -> date | None:
    return asked_day(at, today=request_today(app), is_staff=current_caller(app).is_staff)


@app.get(
    "/members/<member_id>",
    responses=documented(200, "The member and their credentials (as of a past day: `at`).", 404),
)
def get_member(member_id: MemberId, at: AsOf = None) -> MemberOut:
    view = reading().member(member_id, request_today(app), at=_asked_day(at))
    return _member_out(view.state, view.statuses)


@app.get(
    "/staff/members/<member_id>/record",
    responses=documented(200, "Everything kept about the member, with the history of who changed what.", 404),
)
def member_record(member_id: MemberId, at: AsOf = None) -> MemberFileOut:
    found = reading().member_file(member_id, request_today(app), at=_asked_day(at))
    file = found.file
    without_contact = {"contact", "dedup_keys"}
    dump = lambda records: [r.model_dump(mode="json", exclude=without_contact) for r in records]  # noqa: E731
    return MemberFileOut(
        member=_member_out(file.state, found.statuses),
        credentials=dump(file.state.credentials),
        activities=dump(sorted(file.activities, key=lambda a: a.activity_id, reverse=True)),
        invoices=dump(sorted(file.state.invoices, key=lambda i: i.due_date, reverse=True)),
        payments=dump(file.payments),
        notices=[n.model_dump(mode="json", exclude={"contact", "data"}) for n in file.notices],
        applications=dump(file.applications),
        audits=dump(file.audits),
        history=[HistoryEntryOut(**h._asdict()) for h in found.history],
    )


def _member_out(state: MemberState, statuses: dict[str, str]) -> MemberOut:
    profile = state.profile
    credentials = [
        CredentialOut(**c.model_dump(include=set(CredentialOut.model_fields) - {"status"}), status=statuses[c.code])
        for c in state.credentials
    ]
    return MemberOut(
        **profile.model_dump(
            include={"member_id", "first_name", "last_name", "email", "email_status", "mailing_address", "mail_opt_out"}
        ),
        name=f"{profile.first_name} {profile.last_name}",
        status=worst([c.status for c in credentials]),
        credentials=credentials,
    )


@app.patch(
    "/members/<member_id>",
    responses=documented(200, "The contact details saved (a new email gets a code).", *WITH_BODY, 404, 429),
)
def update_contact(member_id: MemberId, body: Annotated[ContactPatch, Body()]) -> ContactOut:
    return _change_contact(member_id, body)


@app.patch(
    "/staff/members/<member_id>",
    responses=documented(200, "The name or contact details saved, the reason in the history.", *WITH_BODY, 404, 429),
)
def staff_update_member(member_id: MemberId, body: Annotated[StaffMemberPatch, Body()]) -> ContactOut:
    return _change_contact(member_id, body)


def _change_contact(member_id: str, body: ContactPatch) -> ContactOut:
    from record_ce.contact import ContactChange, default_contact_service

    sent = body.model_fields_set - {"reason"}
    caller = current_caller(app)
    change = ContactChange(
        given=frozenset(sent),
        **{k: getattr(body, k) for k in sent},
        by=caller.subject,
        by_staff=caller.is_staff,
        reason=body.reason,
    )
    saved = default_contact_service().update(member_id, change, now=request_moment(app))
    return ContactOut(**saved.model_dump(include=set(ContactOut.model_fields)))


@app.post(
    "/members/<member_id>/email-confirmation",
    responses=documented(200, "The address is confirmed.", *WITH_BODY, 404, 409),
)
def confirm_email(member_id: MemberId, body: Annotated[EmailConfirmationIn, Body()]) -> ContactOut:
    from record_ce.contact import default_contact_service

    saved = default_contact_service().confirm_email(member_id, body.code, now=request_moment(app))
    return ContactOut(**saved.model_dump(include=set(ContactOut.model_fields)))


@app.post("/members/<member_id>/ce-activities", responses=documented(201, "Recorded.", *WITH_BODY, 404, 409))
def record_activity(member_id: MemberId, body: Annotated[CeActivityIn, Body()]) -> Response[CeActivityCreated]:
    def create() -> dict:
        request = ActivityRequest(
            credentials=body.credentials,
            claim=ActivityClaim.model_validate(body.model_dump(exclude={"credentials", "attested"})),
            attested=body.attested,
        )
        recorded = recording().record(
            member_id, request, today=request_today(app), now=request_moment(app), source=_source()
        )
        metrics.add_metric(name="CeActivitiesRecorded", unit=MetricUnit.Count, value=1)
        return _created(recorded).model_dump(mode="json")

    result = once_per_key(app, f"{member_id}#ce", body.model_dump(mode="json"), create)
    return Response(status_code=201, content_type="application/json", body=CeActivityCreated.model_validate(result))


@app.get("/members/<member_id>/ce-activities", responses=documented(200, "The member's activities.", 404))
def list_activities(
    member_id: MemberId,
    credential: Annotated[str | None, Query(max_length=8)] = None,
    cycle: Annotated[
        str | None, Query(max_length=10, description="current, or a cycle start date (YYYY-MM-DD)")
    ] = None,
) -> CeActivityList:
    activities = recording().activities(member_id, credential=credential, cycle=cycle, today=request_today(app))
    return CeActivityList(activities=[_activity_out(a) for a in activities])


@app.patch(
    "/members/<member_id>/ce-activities/<activity_id>", responses=documented(200, "Corrected.", *WITH_BODY, 404, 409)
)
def correct_activity(
    member_id: MemberId, activity_id: ActivityId, body: Annotated[CeActivityPatch, Body()]
) -> CeActivityCreated:
    changes = body.model_dump(exclude_unset=True, exclude={"attested", "reason", "member_note"})
    updated = recording().update(
        member_id,
        activity_id,
        changes,
        attested=body.attested,
        today=request_today(app),
        now=request_moment(app),
        editor=_editor(body.reason, body.member_note),
    )
    return _created(updated)


@app.delete(
    "/members/<member_id>/ce-activities/<activity_id>", responses=documented(204, "Removed.", 404, 409, content={})
)
def delete_activity(
    member_id: MemberId,
    activity_id: ActivityId,
    reason: Annotated[
        str | None, Query(min_length=1, max_length=500, description="staff: why a course-platform record is removed")
    ] = None,
):
    recording().delete(member_id, activity_id, today=request_today(app), editor=_editor(reason))
    return Response(status_code=204)


def _editor(reason: str | None, member_note: str | None = None) -> Editor:
    caller = current_caller(app)
    return Editor(subject=caller.subject, is_staff=caller.is_staff, reason=reason, member_note=member_note)


@app.get("/members/<member_id>/progress", responses=documented(200, "Progress per held credential.", 404))
def progress(member_id: MemberId, at: AsOf = None) -> list[ProgressOut]:
    return [
        ProgressOut(
            credential=p.credential.code,
            cycle_start=p.cycle.start,
            cycle_end=p.cycle.end,
            required_points=p.progress.required_points,
            recorded_points=p.progress.recorded_points,
            counted_points=p.progress.counted_points,
            remaining_points=p.progress.remaining_points,
            by_category={
                k: CategoryProgressOut(**v.model_dump(), label=p.categories[k].label, guidance=p.categories[k].guidance)
                for k, v in p.progress.by_category.items()
            },
            met_on=p.met_on,
            status=p.status,
            inactive_on=p.lapse.inactive_on,
            must_recertify_on=p.lapse.must_recertify_on,
        )
        for p in reading().progress(member_id, request_today(app), at=_asked_day(at))
    ]


@app.get(
    "/members/<member_id>/transcript",
    responses=documented(200, "The transcript as JSON, PDF or CSV.", 404, content=TRANSCRIPT_CONTENT),
)
def transcript(
    member_id: MemberId,
    credential: Annotated[str | None, Query(max_length=8)] = None,
    cycle: Annotated[
        str | None, Query(max_length=10, description="current, or a cycle start date (YYYY-MM-DD)")
    ] = None,
    format: Annotated[TranscriptFormat | None, Query(description="overrides the Accept header")] = None,
):
    result = reading().transcript(member_id, credential=credential, cycle=cycle, today=request_today(app))
    chosen = format or negotiated_format(app, ("pdf", "csv"))
    if chosen == "pdf":
        disposition = f'attachment; filename="transcript-{member_id}.pdf"'
        pdf = render.as_pdf(result, portal_url=_portal_url())
        return Response(200, "application/pdf", pdf, headers={"Content-Disposition": disposition})
    if chosen == "csv":
        disposition = f'attachment; filename="transcript-{member_id}.csv"'
        return Response(
            200, "text/csv; charset=utf-8", render.as_csv(result), headers={"Content-Disposition": disposition}
        )
    return Response(200, "application/json", render.as_json(result))


@app.get("/staff/members", responses=documented(200, "The members found (at most `limit`).", 422))
def find_members(
    q: Annotated[
        str, Query(min_length=1, max_length=200, description="a member id, an email, or the start of a last name")
    ],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> MemberSearch:
    return MemberSearch(members=[MemberFound(**m) for m in reading().find_members(q, limit)])


@app.post("/staff/members", responses=documented(201, "Created.", *WITH_BODY, 409))
def create_member(body: Annotated[NewMemberIn, Body()]) -> Response[MemberCreated]:
    def create() -> dict:
        request = NewMember(
            first_name=body.first_name,
            last_name=body.last_name,
            email=body.email,
            mailing_address=body.mailing_address,
            credentials=[NewCredential(**c.model_dump()) for c in body.credentials],
            mail_opt_out=body.mail_opt_out,
            legacy_id=body.legacy_id,
        )
        from record_ce.contact import default_contact_service

        state = enrolment().create_member(request, today=request_today(app), now=request_moment(app))
        return {"member_id": state.profile.member_id, "invited": default_contact_service().invite(state.profile)}

    result = once_per_key(app, "staff#members", body.model_dump(mode="json"), create)
    return Response(status_code=201, content_type="application/json", body=MemberCreated.model_validate(result))


@app.post(
    "/staff/members/<member_id>/credentials",
    responses=documented(201, "The member holds the credential.", *WITH_BODY, 404, 409),
)
def add_credential(member_id: MemberId, body: Annotated[NewCredentialIn, Body()]) -> Response[CredentialAdded]:
    held = enrolment().add_credential(
        member_id, NewCredential(**body.model_dump()), today=request_today(app), now=request_moment(app)
    )
    added = CredentialAdded(**held.model_dump(include=set(CredentialAdded.model_fields)))
    return Response(status_code=201, content_type="application/json", body=added)


def _portal_url() -> str | None:
    from ccp.settings import EmailSettings

    return EmailSettings.from_env().portal_url


def _source() -> str:
    return "staff" if current_caller(app).is_staff else "member"


def _created(recorded: RecordedActivity) -> CeActivityCreated:
    return CeActivityCreated(
        activity_id=recorded.activity.activity_id,
        counted_points=recorded.counted_points,
        counted_by_credential=recorded.counted_by_credential,
        total_change_by_credential=recorded.total_change_by_credential,
    )


def _activity_out(activity) -> CeActivityOut:
    return CeActivityOut(
        **activity.model_dump(
            include={
                "activity_id",
                "credentials",
                "category",
                "title",
                "provider",
                "points",
                "start_date",
                "end_date",
                "source",
                "recorded_on",
                "cycle_start",
            }
        ),
        eligible_points=activity.eligible,
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return resolve(app, event, context)
