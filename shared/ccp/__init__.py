"""The CCP rules layer: pure rules (`ccp.rules`), the one data layer (`ccp.data`), shared errors."""

import gc

# A function imports boto3, Powertools and pydantic (some 50,000 long-lived objects) before the
# first module of ours; every full collection during our own import then walked them all again
# (two of ~23 ms each, bench P4). Frozen, later collections skip them. Module-level objects are
# never garbage, so nothing collectable is kept.
gc.freeze()
