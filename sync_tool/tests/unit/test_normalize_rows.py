"""Rows by column name: every call checked against the schema, compiled calls equal to the factories."""

from __future__ import annotations

import ast
import importlib.util
import itertools
from pathlib import Path
from types import ModuleType

import pytest
from devstats_sync import normalize
from devstats_sync.normalize.row_factories import DUP, DUP_COLUMNS, SHAPES, row
from devstats_sync.schema import REQUIRED, TABLE_BY_NAME, TABLES

NORMALIZE_DIR = Path(normalize.__file__).parent


def load(directory: Path, source: str) -> ModuleType:
    path = directory / "row_calls.py"
    imports = "from devstats_sync.normalize.row_factories import builds_rows, row"
    header = f"from __future__ import annotations\n\n{imports}\n"
    path.write_text(f"{header}\n\n{source}")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_row_the_normalizers_build_is_checked_against_the_schema_on_import() -> None:
    # Unchecked calls would fail only when an event reaches them, costing that event.
    unchecked = []
    for path in sorted(NORMALIZE_DIR.glob("*.py")):
        tree = ast.parse(path.read_text())
        checked_lines: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Name) and d.id == "builds_rows" for d in node.decorator_list
            ):
                checked_lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "row"
                and node.lineno not in checked_lines
            ):
                unchecked.append(f"{path.name}:{node.lineno}")
    assert unchecked == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ('row.gha_orgs(id=1, login="o", color="red")', "gha_orgs has no column color"),
        ("row.gha_orgs(id=1)", r"gha_orgs needs login \(NOT NULL without a default\)"),
        (
            'row.gha_orgs(login="o", id=1)',
            r"gha_orgs: name each column once, in the table's order \(id, login\)",
        ),
        ('row.gha_orgs(1, "o")', r"row.gha_orgs\(...\) takes its columns by name only"),
        ("row.gha_nothing(id=1)", "row.gha_nothing: no such table"),
        ("row.gha_pages(sha='s', event_id=1, action='a', title='t')", "gha_pages needs dup"),
    ],
)
def test_a_call_that_does_not_fit_its_table_fails_on_import(tmp_path: Path, call: str, message: str) -> None:
    with pytest.raises(TypeError, match=rf"row_calls\.py:\d+: {message}"):
        load(tmp_path, f"@builds_rows\ndef build():\n    return {call}\n")


def test_the_factories_refuse_the_same_calls() -> None:
    with pytest.raises(TypeError, match="gha_orgs has no column color"):
        row.gha_orgs(id=1, login="o", color="red")
    with pytest.raises(TypeError, match="gha_orgs needs login"):
        row.gha_orgs(id=1)


def test_compiled_calls_build_the_rows_the_factories_build_for_every_table(tmp_path: Path) -> None:
    values = itertools.count(1)
    functions = []
    expected = {}
    for table in TABLES:
        shape = SHAPES[table.name]
        everything = {
            name: tuple(f"v{next(values)}" for _ in DUP_COLUMNS) if name == DUP else f"v{next(values)}"
            for name, _ in shape.keywords
        }
        required = {
            name: value for name, value in everything.items() if dict(shape.keywords)[name] is REQUIRED
        }
        for kind, given in (("all", everything), ("required", required)):
            call = ", ".join(f"{name}={value!r}" for name, value in given.items())
            functions.append(
                f"@builds_rows\ndef {kind}_{table.name}():\n    return row.{table.name}({call})\n"
            )
            expected[f"{kind}_{table.name}"] = getattr(row, table.name)(**given)
    module = load(tmp_path, "\n\n".join(functions))
    for name, built in expected.items():
        assert getattr(module, name)() == built, name
        assert len(built) == len(TABLE_BY_NAME[name.split("_", 1)[1]].row_columns)


def test_left_out_columns_take_their_defaults_and_server_filled_ones_are_not_in_rows() -> None:
    commit = row.gha_commits(
        sha="s",
        event_id=1,
        author_name="a",
        message="m",
        is_distinct=True,
        dup=(1, "l", 2, "o/r", "PushEvent", "2024-01-01T00:00:00"),
        encrypted_email="e",
    )
    columns = TABLE_BY_NAME["gha_commits"].row_columns
    cells = dict(zip(columns, commit, strict=True))
    assert "inserted_at" not in columns
    assert cells["origin"] == 0
    assert cells["committer_name"] == ""
    assert cells["author_id"] is None
    assert "created_at" not in TABLE_BY_NAME["gha_repos"].row_columns
