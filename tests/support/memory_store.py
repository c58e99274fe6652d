"""The scratch store (`ccp.data.scratch`), and a variant that interleaves another writer's change."""

from __future__ import annotations

from typing import Any

from ccp.data.scratch import InMemoryStore
from ccp.domain.records import MemberState

__all__ = ["InMemoryStore", "InterleavingStore"]


class InterleavingStore(InMemoryStore):
    """Runs another writer's whole change (`between`) after a use case's next read of a member's state:
    between its read of an activity and its read of the totals, the interleaving that once applied a
    correction to stale data."""

    between: Any = None

    def member_state(self, member_id: str) -> MemberState:
        pending, self.between = self.between, None
        if pending is not None:
            pending()
        return super().member_state(member_id)
