"""The base of every pydantic model in the project."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class LazyModel(BaseModel):
    """A model whose validator is built on first use, not at import.

    A function imports some fifty models but a request touches a handful: building them all at
    import cost a cold start about a fifth of the framework's own import time (bench P4).
    """

    model_config = ConfigDict(defer_build=True)
