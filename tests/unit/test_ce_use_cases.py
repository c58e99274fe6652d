"""The CE use cases (enrol, record, correct, remove, read) over the in-memory store: judged by the
state they leave and what they answer, never by the calls they make."""

from datetime import date
from decimal import Decimal

import pytest

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
