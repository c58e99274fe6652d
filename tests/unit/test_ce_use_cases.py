"""The CE use cases (enrol, record, correct, remove, read) over the in-memory store: judged by the
state they leave and what they answer, never by the calls they make."""

from datetime import date
from decimal import Decimal

import pytest

from ccp.domain.values import ActivityClaim, Category
from ccp.errors import Conflict
from ccp.rules.standing import rolled_over
from record_ce.service import Editor
from tests.support.memory_store import InterleavingStore as Interleaving
from tests.unit.program import Program, at

TODAY = date(2026, 6, 15)


@pytest.fixture
def program():
    return Program()


def test_recording_an_activity_moves_the_cycles_totals_and_the_progress(program):
    member = program.enrol(date(2025, 3, 10), today=TODAY)
    program.record(member, "12.5", TODAY)
    [credential] = program.store.credentials(member)
    assert credential.recorded == {"professional_education": Decimal("12.5")} and credential.version == 1
    [progress] = program.reading.progress(member, TODAY)
    assert progress.progress.counted_points == Decimal("12.5") and progress.met_on is None


def test_the_same_course_twice_is_refused_and_nothing_of_it_is_stored(program):
    member = program.enrol(date(2025, 3, 10), today=TODAY)
    program.record(member, "10", TODAY, title="Infection Control")
    with pytest.raises(Conflict) as refused:
        program.record(member, "10", TODAY, title="  infection   control ")
    assert refused.value.code == "DUPLICATE_ACTIVITY"
    assert len(program.store.activities(member)) == 1
    assert program.store.credentials(member)[0].recorded["professional_education"] == Decimal(10)


def test_the_requirement_met_on_the_day_the_last_points_are_recorded_and_unmet_when_they_go(program):
    member = program.enrol(date(2025, 3, 10), today=TODAY)
    program.record(member, "20", TODAY, title="One")
    last = program.record(member, "10", date(2026, 6, 20), title="Two").activity
    assert program.store.credentials(member)[0].met_on == date(2026, 6, 20)
    program.recording.delete(member, last.activity_id, today=date(2026, 6, 21))
    [credential] = program.store.credentials(member)
    assert credential.met_on is None and credential.recorded["professional_education"] == Decimal(20)
    assert [a.title for a in program.store.activities(member)] == ["One"]


def test_a_correction_that_lost_a_race_is_applied_to_fresh_data():
    program = Program(store=Interleaving())
    store, recording = program.store, program.recording
    member = program.enrol(date(2025, 3, 10), today=TODAY)
    activity = program.record(member, "2", TODAY).activity.activity_id
    store.between = lambda: recording.update(
        member, activity, {"points": Decimal(50)}, attested=True, today=TODAY, now=at(TODAY)
    )
    corrected = recording.update(member, activity, {"points": Decimal(10)}, attested=True, today=TODAY, now=at(TODAY))
    assert store.activity(member, activity).points == Decimal(10)  # the later write, on fresh data
    assert store.credentials(member)[0].recorded["professional_education"] == Decimal(10)  # never 58
    assert corrected.activity.version == 1 and store.activity(member, activity).version == 2


def test_an_activity_of_a_cycle_that_rolled_over_is_frozen(program):
    member = program.enrol(date(2025, 3, 10), today=TODAY)
    activity = program.record(member, "5", TODAY).activity
    [before] = program.store.credentials(member)
    program.store.replace_credential(before, rolled_over(before, program.rule_book))
    with pytest.raises(Conflict) as refused:
        program.recording.update(
            member, activity.activity_id, {"points": Decimal(6)}, attested=True, today=TODAY, now=at(TODAY)
        )
    assert refused.value.code == "CYCLE_FROZEN"
    assert program.store.activity(member, activity.activity_id).points == Decimal(5)


def test_a_course_platform_record_changes_only_by_staff_with_the_reason_kept(program):
    member = program.enrol(date(2025, 3, 10), today=TODAY)
    request = program.record(member, "4", TODAY).activity
    platform = request.model_copy(update={"source": "course_platform"})
    program.store.activities_by_key[(member, request.activity_id)] = platform
    with pytest.raises(Conflict) as refused:
        program.recording.update(
            member, request.activity_id, {"points": Decimal(3)}, attested=True, today=TODAY, now=at(TODAY)
        )
    assert refused.value.code == "VERIFIED_RECORD"
    staff = Editor(subject="staff-1", is_staff=True, reason="the platform sent the wrong hours")
    program.recording.update(
        member, request.activity_id, {"points": Decimal(3)}, attested=True, today=TODAY, now=at(TODAY), editor=staff
    )
    [decision] = program.store.activity(member, request.activity_id).history
    assert (decision.by, decision.action, decision.note) == (
        "staff-1",
        "corrected",
        "the platform sent the wrong hours",
    )


def test_a_migrated_member_starts_in_the_cycle_of_their_chain_that_holds_the_day_of_enrolment(program):
    member = program.enrol(date(2015, 3, 10), today=TODAY)
    [credential] = program.store.credentials(member)
    assert (credential.cycle_start, credential.cycle_end) == (date(2024, 3, 10), date(2027, 3, 9))
    assert program.store.profile(member).email == "ann@example.org"


def test_verification_and_the_transcript_read_what_the_records_hold(program):
    member = program.enrol(date(2025, 3, 10), today=TODAY)
    program.record(member, "3", date(2026, 5, 1), title="Later")
    program.record(member, "4", date(2026, 4, 1), title="Earlier")
    verification = program.reading.verification(member, TODAY)
    assert [(c.code, c.status) for c in verification.credentials] == [("RMA", "active")]
    [section] = program.reading.transcript(member, credential=None, cycle=None, today=TODAY).sections
    assert [a.title for a in section.activities] == ["Earlier", "Later"]
    assert section.progress.counted_points == Decimal(7)


def test_one_person_is_one_member_by_email_without_case_or_by_legacy_id(program):
    from record_ce.service import NewCredential, NewMember

    first = program.enrol(date(2025, 3, 10), today=TODAY, email="Ann@Example.org")

    def again(email, legacy_id=None):
        request = NewMember("Ann", "Bee", email, None, [NewCredential("CMAS", date(2025, 3, 10))], legacy_id=legacy_id)
        return program.enrolment.create_member(request, today=TODAY, now=at(TODAY))

    with pytest.raises(Conflict) as refused:
        again("ann@EXAMPLE.org ")
    assert (refused.value.code, refused.value.details) == ("MEMBER_EXISTS", [{"member_id": first}])
    legacy = again("other@example.org", legacy_id="AMT-0042").profile.member_id
    with pytest.raises(Conflict) as refused:
        again("third@example.org", legacy_id="AMT-0042")
    assert refused.value.details == [{"member_id": legacy}]
    assert len(program.store.profiles) == 2  # nobody created twice


def test_staff_add_a_credential_to_a_known_member_once(program):
    from record_ce.service import NewCredential

    member = program.enrol(date(2025, 3, 10), today=TODAY)
    added = program.enrolment.add_credential(
        member, NewCredential("CMAS", date(2024, 1, 5)), today=TODAY, now=at(TODAY)
    )
    assert (added.code, added.cycle_start, added.cycle_end) == ("CMAS", date(2024, 1, 5), date(2027, 1, 4))
    with pytest.raises(Conflict) as refused:
        program.enrolment.add_credential(member, NewCredential("cmas", date(2024, 1, 5)), today=TODAY, now=at(TODAY))
    assert refused.value.code == "CREDENTIAL_HELD"
    assert [c.code for c in program.store.credentials(member)] == ["CMAS", "RMA"]


def test_a_transcript_row_gives_each_part_of_its_uncounted_points_its_own_reason(program):
    """Employment from 2017-01-01 to 2020-06-30 in the cycle that starts 2018-03-10: the days before the
    cycle are not counted, and that is the reason given (not "after the cut-off")."""
    from record_ce.service import ActivityRequest
    from record_ce.transcript import as_csv, as_json

    member = program.enrol(date(2015, 3, 10), today=date(2020, 7, 15))
    work = ActivityClaim(
        category=Category.EMPLOYMENT,
        title="Clinic",
        points=Decimal(14),
        start_date=date(2017, 1, 1),
        end_date=date(2020, 6, 30),
    )
    program.recording.record(
        member, ActivityRequest(["RMA"], work, True), today=date(2020, 7, 15), now=at(date(2020, 7, 15))
    )
    transcript = program.reading.transcript(member, credential=None, cycle=None, today=date(2020, 7, 15))
    [row] = as_json(transcript)["sections"][0]["activities"]
    assert row["not_counted_by_reason"] == {"before_cycle": 4.75}
    assert row["not_counted_reason"] == "4.75 employment before the cycle started"
    assert row["counted_points"] + row["not_counted_points"] == 14
    header, line = as_csv(transcript).splitlines()[:2]
    by_column = dict(zip(header.split(","), line.split(","), strict=True))
    assert (by_column["not_counted_before_cycle"], by_column["not_counted_after_cutoff"]) == ("4.75", "0")


def test_counted_points_is_what_the_activity_counts_and_the_total_change_is_apart(program):
    member = program.enrol(date(2025, 3, 10), today=TODAY)
    activity = program.record(member, "1.25", TODAY).activity.activity_id

    def correct(points):
        return program.recording.update(
            member, activity, {"points": Decimal(points)}, attested=True, today=TODAY, now=at(TODAY)
        )

    raised = correct("2")
    assert (raised.counted_points, raised.total_change_by_credential) == (Decimal(2), {"RMA": Decimal("0.75")})
    same = correct("2")
    assert (same.counted_points, same.total_change_by_credential) == (Decimal(2), {"RMA": Decimal(0)})
    correct("30")
    lowered = correct("10")
    assert (lowered.counted_points, lowered.total_change_by_credential) == (Decimal(10), {"RMA": Decimal(-20)})


def test_in_a_capped_category_an_activity_counts_its_part_of_the_cap_earliest_first(program):
    from record_ce.service import ActivityRequest

    member = program.enrol(date(2025, 3, 10), today=TODAY)

    def authorship(title, points, day):
        claim = ActivityClaim(
            category=Category.AUTHORSHIP, title=title, points=Decimal(points), start_date=day, end_date=day
        )
        return program.recording.record(member, ActivityRequest(["RMA"], claim, True), today=TODAY, now=at(TODAY))

    first = authorship("Article", "10", date(2026, 5, 1))
    assert first.counted_points == Decimal(10)
    later = authorship("Book chapter", "10", date(2026, 6, 1))  # the cap is 15: 5 of it is left
    assert (later.counted_points, later.total_change_by_credential) == (Decimal(5), {"RMA": Decimal(5)})
    earlier = authorship("Poster", "4", date(2026, 4, 1))  # earlier: it takes its 4, the chapter gives them up
    assert (earlier.counted_points, earlier.total_change_by_credential) == (Decimal(4), {"RMA": Decimal(0)})
    [section] = program.reading.transcript(member, credential=None, cycle=None, today=TODAY).sections
    assert [r.counted for r in section.counted] == [Decimal(4), Decimal(10), Decimal(1)]
