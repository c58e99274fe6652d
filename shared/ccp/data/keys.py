"""Every key of the single table is built here, and nowhere else.

Layout (see docs/data-model.md for the access patterns):

    pk                 sk                          entity
    MEMBER#<id>        STATE#PROFILE               member
    MEMBER#<id>        STATE#CRED#<code>           credential (open cycle + its running totals)
    MEMBER#<id>        ACT#<activity_id>           ce_activity
    MEMBER#<id>        DEDUP#<code>#<hash>         ce_dedup (uniqueness guard of the duplicate rule)
    MEMBER#<id>        STATE#INV#<code>#<date>     invoice (one per credential and anniversary)
    MEMBER#<id>        PAYMENT#<reference>         payment (one per processor reference)
    PAYREF#<reference> PAYREF                      payment reference guard (unique across the table)
    PROCESSOR_EVENT#<id> PROCESSOR_EVENT           a processor event parked for staff
    MEMBER#<id>        CYCLE#<code>#<start>        cycle (a rolled-over cycle, archived with its totals
                       [#<KIND>#<day>]             and the whole credential; or one a reinstatement
                                                   replaced that day)
    MEMBER#<id>        NOTICE#<code>#<kind>#<period>#<channel>   notice claim (the notice ledger)
    MEMBER#<id>        SEARCH#EMAIL                email entry (lists the member under their email on GSI4)
    FIGURES            <counter>                   a dashboard counter (ccp.figures), kept up from the stream
    FIGURES#SEEN#<event id> SEEN                   a stream event already counted (expires after 2 days)
    JOBS               <job name>                  job_state: a scheduled job's last day done
    KNOWN#EMAIL#<email> MEMBER                     the member an email belongs to (unique, without case)
    KNOWN#LEGACY#<id>  MEMBER                      the member a legacy id belongs to (unique)
    CODESENDS#<sha256>  DAY#<YYYY-MM-DD>           confirmation codes sent that day to one address or
                                                   for one member (expires after 2 days)

    GSI1 (anniversary index, on credential items):
    ANNIV#<MM>#<shard>                   <DD>#<member_id>#<code>
    GSI2 (sparse: what a deadline concerns, kept only while it matters):
    CYCLE_END#<YYYY-MM>#<shard>          <DD>#<member_id>#<code>   credential whose open cycle is unmet
    DUE#<YYYY-MM>#<shard>                <DD>#<member_id>#<code>   unpaid invoice, by due date
    ROLLOVER#<YYYY>#<shard>              <MM-DD>#<member_id>#<code> archived cycle, by roll-over date
    PARKED_PAYMENTS                      <received_at>#<event_id>  processor event parked for staff
    PARKED                               <claimed_at>#<member_id>  notice parked after failed sends
    AUDITS#<YYYY>                        <member_id>#<code>        the year's audits
    GSI4 (staff search):
    NAME#<first 2 letters>               <last name>#<first name>#<member_id>   member profile
    EMAIL#<email>                        <member_id>                            the member's email entry
    GSI3 (sparse work lists):
    UNLOCK#<YYYY-MM>#<shard>             <DD>#<member_id>#<code>   locked invoice that becomes payable that day
    CLAIMED#<shard>                      <claimed_at>#<member_id>  notice claimed and not yet sent
"""

from __future__ import annotations

import unicodedata
import zlib
from datetime import date

MEMBER = "MEMBER#"
PROFILE_SK = "STATE#PROFILE"
STATE_PREFIX = "STATE#"
CREDENTIAL_PREFIX = "STATE#CRED#"
ACTIVITY_PREFIX = "ACT#"
DEDUP_PREFIX = "DEDUP#"


def index_shards() -> int:
    """Shards of the date-keyed indexes (INDEX_SHARDS, 16 in the template): 1M members / 12 months /
    16 shards is about 5,200 items a partition key (docs/scaling.md)."""
    from ccp.settings import index_settings

    return index_settings().index_shards


def member_pk(member_id: str) -> str:
    return f"{MEMBER}{member_id}"


def credential_sk(code: str) -> str:
    return f"{CREDENTIAL_PREFIX}{code}"


def activity_sk(activity_id: str) -> str:
    return f"{ACTIVITY_PREFIX}{activity_id}"


def dedup_sk(code: str, key: str) -> str:
    return f"{DEDUP_PREFIX}{code}#{key}"


def shard_of(member_id: str) -> int:
    """Stable across processes and Python versions (unlike hash())."""
    return zlib.crc32(member_id.encode()) % index_shards()


def anniversary_gsi_keys(member_id: str, code: str, certified_on: date) -> dict[str, str]:
    return {
        "gsi1pk": anniversary_partition(certified_on.month, shard_of(member_id)),
        "gsi1sk": f"{certified_on.day:02d}#{member_id}#{code}",
    }


def anniversary_partition(month: int, shard: int) -> str:
    return f"ANNIV#{month:02d}#{shard:02d}"


INVOICE_PREFIX = "STATE#INV#"
NOTICE_PREFIX = "NOTICE#"


def invoice_sk(code: str, anniversary: date, application_id: str | None = None) -> str:
    if application_id:  # a recertification fee
        return f"{INVOICE_PREFIX}RC#{application_id}"
    return f"{INVOICE_PREFIX}{code}#{anniversary.isoformat()}"


def invoice_key(member_id: str, code: str, anniversary: date, application_id: str | None = None) -> dict[str, str]:
    return {"pk": member_pk(member_id), "sk": invoice_sk(code, anniversary, application_id)}


APPLICATION_PREFIX = "APP#"
AUDIT_PREFIX = "AUDIT#"


def application_sk(application_id: str) -> str:
    return f"{APPLICATION_PREFIX}{application_id}"


def document_sk(document_id: str) -> str:
    return f"DOC#{document_id}"


def audit_sk(year: int, code: str) -> str:
    return f"{AUDIT_PREFIX}{year}#{code}"


def review_queue_partition(state: str) -> str:
    return f"RECERT#{state}"


def review_queue_keys(state: str, member_id: str, created_at: str) -> dict[str, str]:
    """Applications waiting for staff, by state (a sparse, small list)."""
    return {"gsi3pk": review_queue_partition(state), "gsi3sk": f"{created_at}#{member_id}"}


def audit_year_partition(year: int) -> str:
    return f"AUDITS#{year}"


def audit_year_keys(year: int, member_id: str, code: str) -> dict[str, str]:
    return {"gsi2pk": audit_year_partition(year), "gsi2sk": f"{member_id}#{code}"}


def audit_deadline_keys(deadline: date, member_id: str, code: str) -> dict[str, str]:
    return _dated("gsi3", "AUDIT_DUE", deadline, member_id, code)


AUDIT_RUN_PK = "AUDIT_RUN"


def payment_sk(processor_reference: str) -> str:
    return f"PAYMENT#{processor_reference}"


PAYMENT_REFERENCE_SK = "PAYREF"


def payment_reference_pk(reference: str) -> str:
    """One item per payment reference in the whole table: a reference is used once, by one member."""
    return f"PAYREF#{reference}"


def processor_event_pk(event_id: str) -> str:
    return f"PROCESSOR_EVENT#{event_id}"


PARKED_PAYMENTS = "PARKED_PAYMENTS"
PARKED_NOTICES = "PARKED"


def parked_notice_keys(claimed_at: str, member_id: str) -> dict[str, str]:
    """Notices whose send failed for good, for staff to re-drive (a small list, oldest first)."""
    return {"gsi2pk": PARKED_NOTICES, "gsi2sk": f"{claimed_at}#{member_id}"}


def claimed_partition(shard: int) -> str:
    return f"CLAIMED#{shard:02d}"


def idempotency_pk(scope: str) -> str:
    """Powertools Idempotency's records of one API operation (it writes their sort keys itself)."""
    return f"IDEMPOTENCY#{scope}"


def parked_payment_keys(received_at: str, event_id: str) -> dict[str, str]:
    """Processor events parked for staff (a small list, read newest first)."""
    return {"gsi2pk": PARKED_PAYMENTS, "gsi2sk": f"{received_at}#{event_id}"}


def cycle_archive_sk(code: str, start: date, replaced: tuple[str, date] | None = None) -> str:
    """A rolled-over cycle: one item (it rolls over once). A credential a reinstatement replaced
    (`replaced`: the kind and the day): one a day (a cycle whose reinstatement was undone may be
    replaced again)."""
    if replaced is None:
        return f"CYCLE#{code}#{start.isoformat()}"
    kind, day = replaced
    return f"CYCLE#{code}#{start.isoformat()}#{kind.upper()}#{day.isoformat()}"


CYCLE_ARCHIVE_PREFIX = "CYCLE#"


def notice_sk(code: str, kind: str, period: str, channel: str) -> str:
    return f"{NOTICE_PREFIX}{code}#{kind}#{period}#{channel}"


def dated_partition(kind: str, period: str, shard: int) -> str:
    """A sharded partition of a sparse index: CYCLE_END / DUE / UNLOCK by month, ROLLOVER by year."""
    return f"{kind}#{period}#{shard:02d}"


def _dated(index: str, kind: str, day: date, member_id: str, code: str, *, by_year: bool = False) -> dict[str, str]:
    period = f"{day:%Y}" if by_year else f"{day:%Y-%m}"
    sort = f"{day:%m-%d}" if by_year else f"{day:%d}"
    return {
        f"{index}pk": dated_partition(kind, period, shard_of(member_id)),
        f"{index}sk": f"{sort}#{member_id}#{code}",
    }


def cycle_end_keys(member_id: str, code: str, cycle_end: date) -> dict[str, str]:
    return _dated("gsi2", "CYCLE_END", cycle_end, member_id, code)


def due_keys(member_id: str, code: str, due_date: date) -> dict[str, str]:
    return _dated("gsi2", "DUE", due_date, member_id, code)


def rollover_keys(member_id: str, code: str, rolled_over_on: date) -> dict[str, str]:
    return _dated("gsi2", "ROLLOVER", rolled_over_on, member_id, code, by_year=True)


def unlock_keys(member_id: str, code: str, available_on: date) -> dict[str, str]:
    return _dated("gsi3", "UNLOCK", available_on, member_id, code)


def claimed_keys(member_id: str, claimed_at: str) -> dict[str, str]:
    return {"gsi3pk": claimed_partition(shard_of(member_id)), "gsi3sk": f"{claimed_at}#{member_id}"}


def day_prefix(day: date) -> str:
    return f"{day:%d}#"


SEARCH_EMAIL_SK = "SEARCH#EMAIL"


def searchable(text: str) -> str:
    """A name or email as staff search for it: case and accents folded, spaces and punctuation
    dropped from names (O'Neil, Müller-Lüdenscheidt, de la Cruz)."""
    folded = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in folded if not unicodedata.combining(c))


def name_key(text: str) -> str:
    return "".join(c for c in searchable(text) if c.isalnum())


def name_partition(last_name_prefix: str) -> str:
    """Names are listed under their first two letters (a search needs at least two)."""
    return f"NAME#{name_key(last_name_prefix)[:2].ljust(2, '_')}"


def name_search_keys(last_name: str, first_name: str, member_id: str) -> dict[str, str]:
    return {"gsi4pk": name_partition(last_name), "gsi4sk": f"{name_key(last_name)}#{name_key(first_name)}#{member_id}"}


def email_partition(email: str) -> str:
    return f"EMAIL#{searchable(email)}"


def email_search_keys(email: str, member_id: str) -> dict[str, str]:
    return {"gsi4pk": email_partition(email), "gsi4sk": member_id}


KNOWN_SK = "MEMBER"


def known_email_key(email: str) -> dict[str, str]:
    """The one member an email address belongs to (without case): one person, one member."""
    return {"pk": f"KNOWN#EMAIL#{email.strip().lower()}", "sk": KNOWN_SK}


def known_legacy_key(legacy_id: str) -> dict[str, str]:
    """The one member a legacy id (the body's previous system) belongs to."""
    return {"pk": f"KNOWN#LEGACY#{legacy_id.strip()}", "sk": KNOWN_SK}


JOBS_PK = "JOBS"


def job_key(job: str) -> dict[str, str]:
    """Where a scheduled job keeps the last day it finished (all jobs in one partition: one query)."""
    return {"pk": JOBS_PK, "sk": job}


FIGURES_PK = "FIGURES"


def figure_key(name: str) -> dict[str, str]:
    return {"pk": FIGURES_PK, "sk": name}


def figures_seen_key(event_id: str) -> dict[str, str]:
    return {"pk": f"{FIGURES_PK}#SEEN#{event_id}", "sk": "SEEN"}


def code_sends_key(subject: str, day: date) -> dict[str, str]:
    """The day's confirmation-code sends to one address or for one member (`subject`, hashed: no
    address is stored in a key)."""
    import hashlib

    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    return {"pk": f"CODESENDS#{digest}", "sk": f"DAY#{day.isoformat()}"}


def import_pk(import_id: str) -> str:
    """An import's own record: its state and counts, the chunks done, each error, each member it wrote."""
    return f"IMPORT#{import_id}"


IMPORT_SK = "IMPORT"


def import_chunk_sk(chunk: int) -> str:
    return f"CHUNK#{chunk:07d}"


def import_error_sk(line: int, number: int) -> str:
    return f"ERROR#{line:09d}#{number:03d}"


def import_member_sk(member_id: str) -> str:
    return f"MEMBER#{member_id}"
