"""The shape of the house holds as it grows (docs/decisions.md, "The shape of the house"): no class in
the shared layer or a function over 250 lines, and one way to run a transaction."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [*sorted((ROOT / "shared" / "ccp").rglob("*.py")), *sorted((ROOT / "functions").rglob("*.py"))]


def test_no_class_of_the_shipped_code_is_over_250_lines():
    long = {
        f"{path.relative_to(ROOT)}:{node.name}": node.end_lineno - node.lineno + 1
        for path in SHIPPED
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > 250
    }
    assert long == {}


def test_transactions_are_written_only_through_the_unit_of_work():
    """`transact` (the one TransactWriteItems call) is the unit of work's alone: repositories build
    write-sets with their roles, and one mapping turns a refusal into the error it means."""
    callers = {
        path.relative_to(ROOT).as_posix()
        for path in SHIPPED
        if "transact(" in path.read_text() and path.name != "dynamo.py"
    }
    assert callers == {"shared/ccp/data/writes.py"}
