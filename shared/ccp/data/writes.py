"""The unit of work: the writes that must agree, gathered with the part each plays and committed in one
DynamoDB transaction, and the small builders of their conditions and update expressions.

Every attribute name and value goes through a placeholder (`#name`, `:value`), so no reserved word
or odd value can break an expression, and no repository assembles expression strings by hand.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ccp.data.dynamo import transact
from ccp.errors import Conflict, Retryable

T = TypeVar("T")


class StaleWrite(Exception):
    """What a write was computed from (an activity, a credential's running totals) changed between
    our read and our write; re-read and retry."""


EDITED_MEANWHILE = "EDITED_MEANWHILE"


def retry_on_stale(attempt: Callable[[], T], *, attempts: int = 4, edit_of_one_record: bool = False) -> T:
    """Run a read-compute-write `attempt` again on fresh reads when its write finds the data changed:
    never applied to stale data. When the races do not stop: a 503 to retry, or, for an edit of one
    record someone else is editing at the same time, a 409 EDITED_MEANWHILE (reload, then edit)."""
    for _ in range(attempts):
        try:
            return attempt()
        except StaleWrite:
            continue
    if edit_of_one_record:
        raise Conflict(
            "Someone changed this record at the same time. Reload it to see the change, then edit again.",
            code=EDITED_MEANWHILE,
        )
    raise Retryable("Too many simultaneous changes to this member; try again.")


def _name(path: str) -> tuple[str, dict[str, str]]:
    """`contact.email` → (`#contact.#email`, the names)."""
    parts = path.split(".")
    return ".".join(f"#{part}" for part in parts), {f"#{part}": part for part in parts}


def _slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", path)


@dataclass(frozen=True)
class Condition:
    """A condition expression with its own placeholders; `a & b` is both."""

    expression: str
    names: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Any] = field(default_factory=dict)

    def __and__(self, other: Condition) -> Condition:
        clash = {k for k in self.values.keys() & other.values.keys() if self.values[k] != other.values[k]}
        if clash:
            raise ValueError(f"one placeholder, two values: {sorted(clash)}")
        return Condition(
            f"({self.expression}) AND ({other.expression})",
            {**self.names, **other.names},
            {**self.values, **other.values},
        )

    def __or__(self, other: Condition) -> Condition:
        merged = self & other
        return Condition(f"({self.expression}) OR ({other.expression})", merged.names, merged.values)

    def request(self) -> dict[str, Any]:
        request: dict[str, Any] = {"ConditionExpression": self.expression}
        if self.names:
            request["ExpressionAttributeNames"] = dict(self.names)
        if self.values:
            request["ExpressionAttributeValues"] = dict(self.values)
        return request


def absent() -> Condition:
    """The item does not exist yet (uniqueness)."""
    return Condition("attribute_not_exists(pk)")


def present() -> Condition:
    return Condition("attribute_exists(pk)")


def missing(path: str) -> Condition:
    name, names = _name(path)
    return Condition(f"attribute_not_exists({name})", names)


def equals(path: str, value: Any) -> Condition:
    name, names = _name(path)
    return Condition(f"{name} = :c_{_slug(path)}", names, {f":c_{_slug(path)}": value})


def one_of(path: str, *values: Any) -> Condition:
    name, names = _name(path)
    placeholders = {f":c_{_slug(path)}_{i}": value for i, value in enumerate(values)}
    return Condition(f"{name} IN ({', '.join(placeholders)})", names, placeholders)


def before(path: str, value: Any) -> Condition:
    name, names = _name(path)
    return Condition(f"{name} < :lt_{_slug(path)}", names, {f":lt_{_slug(path)}": value})


def at_most(path: str, value: Any) -> Condition:
    name, names = _name(path)
    return Condition(f"{name} <= :le_{_slug(path)}", names, {f":le_{_slug(path)}": value})


def at_version(version: int) -> Condition:
    """Optimistic locking: the stored item is still the version that was read."""
    return equals("version", version)


class Update:
    """An update expression built clause by clause: `Update().set(state="paid").remove("gsi2pk")`."""

    def __init__(self) -> None:
        self._sets: list[str] = []
        self._removes: list[str] = []
        self._adds: list[str] = []
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def set(self, **attributes: Any) -> Update:
        for path, value in attributes.items():
            self.set_path(path, value)
        return self

    def set_path(self, path: str, value: Any) -> Update:
        """Set a nested attribute (`contact.email_status`), which keyword arguments cannot name."""
        name, names = _name(path)
        self.names.update(names)
        self.values[f":u_{_slug(path)}"] = value
        self._sets.append(f"{name} = :u_{_slug(path)}")
        return self

    def increment(self, path: str, by: int = 1) -> Update:
        name, names = _name(path)
        self.names.update(names)
        self.values[f":inc_{_slug(path)}"] = by
        self._sets.append(f"{name} = {name} + :inc_{_slug(path)}")
        return self

    def append(self, path: str, entries: list[Any]) -> Update:
        """Append to a list attribute, starting it when absent."""
        name, names = _name(path)
        self.names.update(names)
        self.values.update({f":app_{_slug(path)}": entries, ":empty_list": []})
        self._sets.append(f"{name} = list_append(if_not_exists({name}, :empty_list), :app_{_slug(path)})")
        return self

    def add(self, path: str, number: int) -> Update:
        """ADD: a counter that starts at zero when absent."""
        name, names = _name(path)
        self.names.update(names)
        self.values[f":add_{_slug(path)}"] = number
        self._adds.append(f"{name} :add_{_slug(path)}")
        return self

    def remove(self, *paths: str) -> Update:
        for path in paths:
            name, names = _name(path)
            self.names.update(names)
            self._removes.append(name)
        return self

    def request(self, condition: Condition | None = None) -> dict[str, Any]:
        clauses = [
            f"{verb} {', '.join(parts)}"
            for verb, parts in (("SET", self._sets), ("ADD", self._adds), ("REMOVE", self._removes))
            if parts
        ]
        names, values = dict(self.names), dict(self.values)
        if condition is not None:
            clash = {k for k in values.keys() & condition.values.keys() if values[k] != condition.values[k]}
            if clash:
                raise ValueError(f"one placeholder, two values: {sorted(clash)}")
            names.update(condition.names)
            values.update(condition.values)
        request: dict[str, Any] = {"UpdateExpression": " ".join(clauses), "ExpressionAttributeNames": names}
        if values:
            request["ExpressionAttributeValues"] = values
        if condition is not None:
            request["ConditionExpression"] = condition.expression
        return request


# What a refused transaction means, by the part whose condition failed: the first rule whose roles
# meet the failed ones raises its error; a refusal no rule names (or a conflict with a concurrent
# transaction) means the data moved under us: StaleWrite, re-read and retry.
Refusals = Sequence[tuple[frozenset[str], Callable[[], Exception]]]


def refusal(*roles: str, error: Callable[[], Exception]) -> tuple[frozenset[str], Callable[[], Exception]]:
    return frozenset(roles), error


class UnitOfWork:
    """The write-set of one change: each write with its role, committed all or nothing."""

    def __init__(self, table: Any):
        self._client = table.meta.client
        self._name = table.name
        self.items: list[dict[str, Any]] = []
        self.roles: list[str] = []

    def __len__(self) -> int:
        return len(self.items)

    def put(self, item: dict[str, Any], *, role: str, condition: Condition | None = None) -> UnitOfWork:
        return self._add("Put", {"Item": item, **(condition.request() if condition else {})}, role)

    def put_new(self, item: dict[str, Any], *, role: str) -> UnitOfWork:
        """A put that lands only where nothing is stored yet (uniqueness)."""
        return self.put(item, role=role, condition=absent())

    def replace(self, item: dict[str, Any], *, read_version: int, role: str) -> UnitOfWork:
        """A whole-item put over the version that was read (optimistic locking); the item carries the
        next version."""
        return self.put({**item, "version": read_version + 1}, role=role, condition=at_version(read_version))

    def update(
        self, key: dict[str, Any], update: Update, *, role: str, condition: Condition | None = None
    ) -> UnitOfWork:
        return self._add("Update", {"Key": key, **update.request(condition)}, role)

    def delete(self, key: dict[str, Any], *, role: str, condition: Condition | None = None) -> UnitOfWork:
        return self._add("Delete", {"Key": key, **(condition.request() if condition else {})}, role)

    def _add(self, kind: str, request: dict[str, Any], role: str) -> UnitOfWork:
        self.items.append({kind: {"TableName": self._name, **request}})
        self.roles.append(role)
        return self

    def commit(self, refusals: Refusals = (), *, otherwise: Callable[[], Exception] = StaleWrite) -> None:
        """All the writes or none. A refusal raises the error its rule names, else `otherwise`."""
        if not self.items:
            return
        failed = transact(self._client, self.items, self.roles)
        if not failed:
            return
        for roles, error in refusals:
            if failed & roles:
                raise error()
        raise otherwise()
