"""The contact-change use case on in-memory ports (tests/support/fakes.py), judged by the state it
leaves: the profile, the codes sent, the history, the limits. The DynamoDB side of the same rules is
in tests/integration/test_contact.py."""

from datetime import UTC, datetime, timedelta

import pytest

from ccp.domain.records import Address, MemberRecord
from ccp.errors import RuleViolation, TooManyRequests
from record_ce.contact import ContactChange, ContactService
from tests.support.fakes import InMemoryCodeSends, InMemoryLogins, InMemoryMembers, Outbox

T0 = datetime(2026, 6, 15, 15, 0, tzinfo=UTC)  # 10:00 in Chicago
HOME = Address(line1="1 Main St", city="Chicago", state="IL", postal_code="60601")


@pytest.fixture
def world():
    member = MemberRecord(
        member_id="M1", first_name="Pat", last_name="Lee", email="pat@example.org", mailing_address=HOME, created_at=T0
    )
    members, outbox, logins, sends = InMemoryMembers(member), Outbox(), InMemoryLogins(), InMemoryCodeSends()
    logins.invite("M1", "pat@example.org")
    service = ContactService(members, outbox, logins, sends, template_prefix="ccp-", portal_url="https://portal")
    return service, members, outbox, logins


def email(address, *, by="M1", staff=False, reason=None):
    return ContactChange(given=frozenset({"email"}), email=address, by=by, by_staff=staff, reason=reason)


def later(minutes):
    return T0 + timedelta(minutes=minutes)


def test_a_new_email_waits_unconfirmed_for_the_code_sent_to_it_then_signs_in(world):
    service, members, outbox, logins = world
    saved = service.update("M1", email(" Pat@New.Example.org "), now=T0)
    assert (saved.email, saved.email_status) == ("pat@new.example.org", "unconfirmed")
    [(template, to, data)] = outbox.sent
    assert (template, to) == ("ccp-email-confirmation", "pat@new.example.org")
    assert logins.emails["M1"] == "pat@example.org"  # not before the code
    confirmed = service.confirm_email("M1", data["code"], now=later(5))
    assert confirmed.email_status == "ok" and members.profile("M1").email_code_hash is None
    assert logins.emails["M1"] == "pat@new.example.org"


def test_a_resend_gives_a_new_code_but_not_new_guesses(world):
    service, members, outbox, _ = world
    service.update("M1", email("pat@new.example.org"), now=T0)
    with pytest.raises(RuleViolation):
        service.confirm_email("M1", "000001" if outbox.sent[-1][2]["code"] != "000001" else "000002", now=later(1))
    service.update("M1", email("pat@new.example.org"), now=later(11))
    assert len(outbox.sent) == 2 and members.profile("M1").email_code_attempts == 1


def test_five_wrong_guesses_stop_the_codes_for_that_address_until_its_day_is_over(world):
    service, members, outbox, _ = world
    service.update("M1", email("pat@new.example.org"), now=T0)
    wrong = "000001" if outbox.sent[-1][2]["code"] != "000001" else "000002"
    for _ in range(5):
        with pytest.raises(RuleViolation):
            service.confirm_email("M1", wrong, now=later(1))
    with pytest.raises(TooManyRequests) as refused:
        service.update("M1", email("pat@new.example.org"), now=later(30))
    assert refused.value.retry_after == int(timedelta(hours=24, minutes=-30).total_seconds())
    assert len(outbox.sent) == 1
    service.update("M1", email("pat@new.example.org"), now=later(24 * 60 + 1))
    assert len(outbox.sent) == 2 and members.profile("M1").email_code_attempts == 0


def test_no_code_within_ten_minutes_and_at_most_five_a_day(world):
    service, _, outbox, _ = world
    service.update("M1", email("a1@example.org"), now=T0)
    with pytest.raises(TooManyRequests) as soon:
        service.update("M1", email("a2@example.org"), now=later(3))
    assert soon.value.retry_after == 7 * 60
    for n in range(1, 5):
        service.update("M1", email(f"a{n + 1}@example.org"), now=later(11 * n))
    with pytest.raises(TooManyRequests):
        service.update("M1", email("a9@example.org"), now=later(11 * 6))
    assert len(outbox.sent) == 5


def test_the_same_confirmed_address_sends_nothing_and_counts_nothing(world):
    service, members, outbox, _ = world
    for n in range(7):
        service.update("M1", email("PAT@example.org"), now=later(n))
    assert outbox.sent == [] and members.profile("M1").email_status == "ok" and members.profile("M1").changes == []


def test_staff_give_a_reason_and_every_change_is_in_the_history(world):
    service, members, _, _ = world
    with pytest.raises(RuleViolation) as unexplained:
        service.update("M1", email("x@example.org", by="staff-1", staff=True), now=T0)
    assert unexplained.value.code == "REASON_REQUIRED" and members.profile("M1").changes == []
    moved = ContactChange(
        given=frozenset({"mailing_address", "mail_opt_out"}),
        mailing_address=HOME.model_copy(update={"line1": "9 Elm St"}),
        mail_opt_out=True,
        by="staff-1",
        by_staff=True,
        reason="returned letter",
    )
    service.update("M1", moved, now=T0)
    history = [(c.by, c.action, c.note) for c in members.profile("M1").changes]
    assert history == [
        (
            "staff-1",
            "changed mailing address from 1 Main St, Chicago, IL, 60601, US to 9 Elm St, Chicago, IL, 60601, US",
            "returned letter",
        ),
        ("staff-1", "changed no post from False to True", "returned letter"),
    ]


def test_a_change_computed_from_a_stale_read_is_computed_again_on_fresh_data(world):
    service, members, outbox, _ = world
    real_profile = members.profile
    reads = []

    def profile_then_someone_confirms(member_id):
        reads.append(member_id)
        seen = real_profile(member_id)
        if len(reads) == 1:  # between this read and the write, another request changes the status
            members.profiles[member_id] = seen.model_copy(update={"email_status": "bounced"})
        return seen

    members.profile = profile_then_someone_confirms
    saved = service.update("M1", email("pat@new.example.org"), now=T0)
    # One read (the limit and the first attempt share it), then the stale write was retried on a fresh one.
    assert saved.email_status == "unconfirmed" and len(reads) == 2
    assert members.profiles["M1"].email == "pat@new.example.org" and len(outbox.sent) == 1
