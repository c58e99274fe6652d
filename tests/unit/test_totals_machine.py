"""The totals never drift (docs/rules.md §3), over the in-memory store: the machine of
tests/support/totals_machine.py, with many examples (the DynamoDB run takes fewer)."""

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.support.memory_store import InterleavingStore as Interleaving
from tests.support.totals_machine import TotalsMachine


class InMemoryTotalsMachine(TotalsMachine):
    def ports(self):
        store = Interleaving()
        return store, store


def test_the_totals_never_drift_under_any_interleaving_of_changes():
    run_state_machine_as_test(
        InMemoryTotalsMachine,
        settings=settings(
            max_examples=500, stateful_step_count=12, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
