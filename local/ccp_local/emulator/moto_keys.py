"""Embedded Cognito's signing key read once.

moto 5.2 reads its one private JSON Web Key (`cognitoidp/resources/jwks-private.json`) again for every
user pool it makes, and joserfc recovers the key's primes each time: 0.17 s a pool, two pools a
deployment, and the test suites deploy the template (or make a pool) for every test. The file is the
same each time and a pool only signs with the key, so it is read once and the key shared.
Pinned with the other moto patches (ccp_local.emulator.moto_transactions.MOTO_SERIES).
"""

from __future__ import annotations

import json
from typing import Any


class _KeysReadOnce:
    """Stands in for joserfc's `jwk` module in moto's Cognito models: `RSAKey.import_key` of the same
    data answers the key it read before; everything else is joserfc's."""

    def __init__(self, jwk: Any):
        self._jwk = jwk
        self.RSAKey = _RsaKeysReadOnce(jwk.RSAKey)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._jwk, name)


class _RsaKeysReadOnce:
    def __init__(self, rsa_key: type):
        self._rsa_key = rsa_key
        self._read: dict[str, Any] = {}

    def import_key(self, data: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or not isinstance(data, dict):
            return self._rsa_key.import_key(data, *args, **kwargs)  # type: ignore[attr-defined]
        text = json.dumps(data, sort_keys=True)
        if text not in self._read:
            self._read[text] = self._rsa_key.import_key(data)  # type: ignore[attr-defined]
        return self._read[text]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rsa_key, name)


def cognito_key_read_once() -> None:
    """Idempotent."""
    import moto.cognitoidp.models as cognito

    if not isinstance(cognito.jwk, _KeysReadOnce):
        cognito.jwk = _KeysReadOnce(cognito.jwk)  # type: ignore[assignment]
