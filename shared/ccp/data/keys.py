"""Every key of the single table is built here, and nowhere else.

Layout (see docs/data-model.md for the access patterns):

    pk                 sk                          entity
    MEMBER#<id>        STATE#PROFILE               member
    MEMBER#<id>        STATE#CRED#<code>           credential (open cycle + its running totals)
    MEMBER#<id>        ACT#<activity_id>           ce_activity
    MEMBER#<id>        DEDUP#<code>#<hash>         ce_dedup (uniqueness guard of the duplicate rule)

    GSI1 (anniversary index, on credential items):
    ANNIV#<MM>#<shard>  <DD>#<member_id>#<code>
"""

from __future__ import annotations

import zlib
from datetime import date

MEMBER = "MEMBER#"
PROFILE_SK = "STATE#PROFILE"
STATE_PREFIX = "STATE#"
CREDENTIAL_PREFIX = "STATE#CRED#"
ACTIVITY_PREFIX = "ACT#"
DEDUP_PREFIX = "DEDUP#"

# Anniversary index shards: 1M members / 12 months / 16 shards is about 5,200 items a partition
# key, and a day's due members are read by 16 parallel queries (docs/scaling.md).
ANNIVERSARY_SHARDS = 16


def member_pk(member_id: str) -> str:
    return f"{MEMBER}{member_id}"


def member_id_of(pk: str) -> str:
    return pk.removeprefix(MEMBER)


def credential_sk(code: str) -> str:
    return f"{CREDENTIAL_PREFIX}{code}"


def activity_sk(activity_id: str) -> str:
    return f"{ACTIVITY_PREFIX}{activity_id}"


def dedup_sk(code: str, key: str) -> str:
    return f"{DEDUP_PREFIX}{code}#{key}"


def shard_of(member_id: str, shards: int = ANNIVERSARY_SHARDS) -> int:
    """Stable across processes and Python versions (unlike hash())."""
    return zlib.crc32(member_id.encode()) % shards


def anniversary_gsi_keys(member_id: str, code: str, certified_on: date) -> dict[str, str]:
    return {
        "gsi1pk": anniversary_partition(certified_on.month, shard_of(member_id)),
        "gsi1sk": f"{certified_on.day:02d}#{member_id}#{code}",
    }


def anniversary_partition(month: int, shard: int) -> str:
    return f"ANNIV#{month:02d}#{shard:02d}"
