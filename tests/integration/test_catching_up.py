"""No missed day, end to end over the deployed template: a run that dies half way and a week of runs
that never fired are caught up by the next run, each invoice and notice once; staff see each job's
last day done and how far behind it is (GET /staff/jobs)."""

import pytest

from ccp_local.events import staff_claims
from ccp_local.inprocess import deployed_stack
from tests.integration.renewal_helpers import chicago, emails_to, new_member

DASHBOARD = "dashboard.handler.lambda_handler"


@pytest.fixture
def stack():
    with deployed_stack() as deployed:
        yield deployed


def jobs(stack, at):
    response = stack.api(DASHBOARD, "GET", "/staff/jobs", "/staff/jobs", claims=staff_claims(), at=chicago(at))
    assert response["statusCode"] == 200, response
    return {job["job"]: job for job in response["json"]["jobs"]}


def test_a_run_that_died_and_a_week_that_never_ran_are_caught_up_each_notice_once(stack, monkeypatch):
    from renewals.run import RenewalRun

    member = new_member(stack, certified_on="2024-07-20", email="late@example.org")
    stack.job("renewal_notices", chicago("2025-06-27T06:00"), catch_up=True)  # the first run of a deployment
    real_run_day = RenewalRun.run_day

    def dies_on_july_first(self, moment, **kwargs):
        if moment >= chicago("2025-07-01T00:00"):
            raise TimeoutError("the function ran out of time")
        return real_run_day(self, moment, **kwargs)

    monkeypatch.setattr(RenewalRun, "run_day", dies_on_july_first)
    with pytest.raises(TimeoutError):
        stack.job("renewal_notices", chicago("2025-07-01T06:00"), catch_up=True)
    monkeypatch.undo()
    seen = jobs(stack, "2025-07-08T09:00")["renewal_notices"]
    assert (seen["last_day_done"], seen["days_behind"], seen["last_error"]) == ("2025-06-30", 7, "TimeoutError")
    assert member.invoices(chicago("2025-07-08T09:00")) == {}

    # Jul 2 .. Jul 7 never fired; the run of Jul 8 does Jul 1 .. Jul 8, in order.
    summary = stack.job("renewal_notices", chicago("2025-07-08T06:00"), catch_up=True)
    assert summary["days_done"][0] == "2025-07-01" and summary["days_done"][-1] == "2025-07-08"
    assert (summary["days_behind"], summary["invoices_issued"]) == (0, 1)
    stack.job("renewal_notices", chicago("2025-07-08T06:00"), catch_up=True)  # delivered twice
    assert list(member.invoices(chicago("2025-07-08T09:00"))) == ["RMA-20250720"]
    assert len(emails_to(stack, "late@example.org", "renewal_due")) == 1
    seen = jobs(stack, "2025-07-08T09:00")
    assert (seen["renewal_notices"]["last_day_done"], seen["renewal_notices"]["days_behind"]) == ("2025-07-08", 0)
    assert seen["status_sweep"]["last_day_done"] is None and seen["status_sweep"]["days_behind"] is None


def test_the_jobs_route_is_for_staff_only(stack):
    from ccp_local.events import member_claims

    response = stack.api(DASHBOARD, "GET", "/staff/jobs", "/staff/jobs", claims=member_claims("M-1"))
    assert response["statusCode"] == 403
