"""The CCP rules layer: pure rules (`ccp.rules`), the one data layer (`ccp.data`), shared errors."""

import gc


def freeze_imported() -> None:
    """Move every object imported so far out of the collector's way.

    A function imports Powertools, pydantic and boto3 (some 50,000 long-lived objects); every full
    collection during the rest of its import walked them all again (two of ~23 ms each, bench P4).
    Frozen, later collections skip them. A frozen object is never collected: at import time that
    is almost only what modules keep for the life of the process, so the cost is a few cycles of
    import-time garbage at most. Called here (after the framework a handler imports first) and
    once boto3 is in (`ccp.data.dynamo`).
    """
    gc.freeze()


freeze_imported()
