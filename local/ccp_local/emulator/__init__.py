"""The emulator: AWS on this machine. moto (in process, or as its server) and the patches that make
it behave as AWS does where the program depends on it: atomic conditional writes, item-level
transactions, index queries that cost their partition, plain-JSON answers, bounded memory, Cognito's
aliases and mail, EventBridge rules that reach functions. Each patch is pinned to the moto series in
`moto_transactions.MOTO_SERIES` and listed in docs/decisions.md ("The emulator's patches") with why,
and the test that shows it is still needed.

The developer stack (`ccp_local`: gateway, Lambda runtime and workers, queue and stream pollers, the
processor's and Credly's stand-ins, the CLI) runs on it and never patches it.
"""
