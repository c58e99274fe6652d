"""Figures the proof suites measure, printed as one table at the end of the run (`make proof`)."""

from __future__ import annotations

from typing import Any

FIGURES: dict[str, dict[str, Any]] = {}
ADDED: set[tuple[str, str]] = set()  # figures that are counts (summed across test workers)


def record(suite: str, figure: str, value: Any) -> None:
    FIGURES.setdefault(suite, {})[figure] = value


def add(suite: str, figure: str, amount: int = 1) -> None:
    ADDED.add((suite, figure))
    record(suite, figure, FIGURES.get(suite, {}).get(figure, 0) + amount)


def export() -> dict[str, Any]:
    """A worker's figures, for the controller of a parallel run (pytest-xdist)."""
    return {"figures": FIGURES, "added": sorted(ADDED)}


def merge(exported: dict[str, Any]) -> None:
    """A worker's figures into this process's: counts are summed, other values taken as they are."""
    added = {tuple(pair) for pair in exported["added"]}
    for suite, figures in exported["figures"].items():
        for figure, value in figures.items():
            if (suite, figure) in added:
                add(suite, figure, value)
            else:
                record(suite, figure, value)


def table() -> str:
    rows = [
        (suite, figure, f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value))
        for suite, figures in FIGURES.items()
        for figure, value in figures.items()
    ]
    widths = [max(len(r[i]) for r in [*rows, ("suite", "figure", "value")]) for i in range(3)]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + " |"  # noqa: E731
    return "\n".join(
        [line(("suite", "figure", "value")), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)]
    )
