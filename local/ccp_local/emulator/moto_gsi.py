"""Give embedded DynamoDB's queries the cost real DynamoDB's have: that of the partition they read.

moto answers a Query on a global secondary index by walking every item of the table, so a
sparse-index page costs O(table) in moto where DynamoDB reads only the page. The renewal run reads
only what is due from sparse indexes; at 100,000 members moto's walk, not the program, would be
the whole cost. This keeps, per table, the items under each index partition (built on the first
index query, then kept up by moto's own item writes) and hands moto's query just that partition.
A query of the table itself gets its partition from moto's own item map (moto walked and sorted
the whole table for it too, so a member's progress slowed as the table grew). moto still evaluates
the key condition, filter, order and paging itself, so answers are the same.

For benchmarks: requests and items are counted by botocore hooks, which this does not touch.
Safe with threads: the partition handed to a query is per thread, and the map changes under the
same lock as moto's writes (ccp_local.emulator.moto_atomic).
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections import defaultdict
from typing import Any

from ccp_local.emulator.moto_atomic import WRITE_LOCK

_INDEX = "_ccp_gsi_partitions"
_walk = threading.local()  # the partition this thread's current query walks, and its table


class _Partitions:
    """(index name, partition value) -> {(hash, range): item}, with the reverse map per item."""

    def __init__(self, table: Any):
        self.by_partition: dict[tuple[str, Any], dict[tuple[Any, Any], Any]] = defaultdict(dict)
        self.of_item: dict[tuple[Any, Any], list[tuple[str, Any]]] = {}
        self.partition_attr = {
            index.name: next(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH")
            for index in table.global_indexes
        }
        for item in table.all_items():
            self.add(item)

    def add(self, item: Any) -> None:
        key = (item.hash_key, item.range_key)
        self.remove(key)
        placed = []
        for index_name, attr in self.partition_attr.items():
            value = item.attrs.get(attr)
            if value is not None:
                self.by_partition[(index_name, value)][key] = item
                placed.append((index_name, value))
        self.of_item[key] = placed

    def remove(self, key: tuple[Any, Any]) -> None:
        for partition in self.of_item.pop(key, []):
            self.by_partition[partition].pop(key, None)


def index_gsi_queries() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    from ccp_local.emulator.moto_transactions import item_level_transactions

    # Transactions must write item by item (through the put/update/delete kept in step below):
    # moto's own restores a deep copy of the whole table, which would bypass the index.
    item_level_transactions()
    if getattr(Table.query, "_ccp_indexed", False):
        return
    original_query, original_put, original_delete = Table.query, Table.put_item, Table.delete_item
    original_update = DynamoDBBackend.update_item
    original_all_items = Table.all_items

    def all_items(self: Table) -> Any:
        if getattr(_walk, "table", None) is self:
            return _walk.items
        return original_all_items(self)

    signature = inspect.signature(original_query)

    @functools.wraps(original_query)
    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(self, *args, **kwargs).arguments
        index_name, conditions = arguments.get("index_name"), arguments.get("hash_key_conditions")
        if not index_name and self.range_key_attr is not None:
            # A query of the table itself reads its partition (moto walked and sorted the whole table).
            with WRITE_LOCK:
                partition = list(self.items.get(arguments.get("hash_key"), {}).values())
            _walk.table, _walk.items = self, partition
            try:
                return original_query(self, *args, **kwargs)
            finally:
                _walk.table = _walk.items = None
        with WRITE_LOCK:
            partitions = getattr(self, _INDEX, None)
            if index_name and conditions and partitions is None:
                partitions = _Partitions(self)
                setattr(self, _INDEX, partitions)
            attr = partitions.partition_attr.get(index_name) if partitions and index_name else None
            value = dict(conditions or []).get(attr) if attr else None
            if value is not None:
                candidates = list(partitions.by_partition.get((index_name, value), {}).values())
        if value is None:
            return original_query(self, *args, **kwargs)
        _walk.table, _walk.items = self, candidates  # moto's query walks all_items(): this partition
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _walk.table = _walk.items = None

    @functools.wraps(original_put)
    def put_item(self: Table, *args: Any, **kwargs: Any) -> Any:
        with WRITE_LOCK:
            item = original_put(self, *args, **kwargs)
            if getattr(self, _INDEX, None) is not None:
                getattr(self, _INDEX).add(item)
            return item

    @functools.wraps(original_delete)
    def delete_item(self: Table, hash_key: Any, range_key: Any) -> Any:
        with WRITE_LOCK:
            item = original_delete(self, hash_key, range_key)
            if item is not None and getattr(self, _INDEX, None) is not None:
                getattr(self, _INDEX).remove((item.hash_key, item.range_key))
            return item

    @functools.wraps(original_update)
    def update_item(self: DynamoDBBackend, table_name: str, *args: Any, **kwargs: Any) -> Any:
        with WRITE_LOCK:
            item = original_update(self, table_name, *args, **kwargs)
            partitions = getattr(self.get_table(table_name), _INDEX, None)
            if partitions is not None:
                partitions.add(item)  # an update may move the item between index partitions
            return item

    query._ccp_indexed = True
    Table.query, Table.put_item, Table.delete_item, Table.all_items = query, put_item, delete_item, all_items
    DynamoDBBackend.update_item = update_item
