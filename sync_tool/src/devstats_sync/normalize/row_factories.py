"""Rows by column name: a row factory per table, derived from the schema.

``row.gha_issues(id=..., event_id=..., ...)`` returns the row as a plain tuple in the order of the
table's :attr:`~devstats_sync.schema.Table.row_columns`, the order the COPY writer names the columns
in. A column the call leaves out takes its default (NULL, or the column's own default); a NOT NULL
column without one must be given, and a name the table does not have is refused. The six ``dup_*``
columns DevStats copies from the event into most tables come together as ``dup=context.dup``.

The normalizers build a few rows per event, and a keyword call costs three times building the tuple,
ten times beyond 15 keywords (CPython 3.11 then builds a dict first). So the functions that build
rows are decorated with :func:`builds_rows`, which compiles their ``row.<table>(...)`` calls
into the very tuples the factory would return, checking every call against the schema on import.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

from devstats_sync.schema import REQUIRED, TABLES, Table

Row = tuple[Any, ...]
# DevStats' copies of the event's actor, repository, type and time, in its column order.
DUP_COLUMNS = (
    "dup_actor_id",
    "dup_actor_login",
    "dup_repo_id",
    "dup_repo_name",
    "dup_type",
    "dup_created_at",
)
DUP = "dup"
Function = TypeVar("Function", bound=Callable[..., Any])


@dataclass(frozen=True)
class RowShape:
    """What a call of a table's factory names, in column order: each keyword (``dup`` standing for the
    six dup columns) with the value it takes when left out, :data:`REQUIRED` when it cannot be."""

    table: str
    keywords: tuple[tuple[str, Any], ...]

    @classmethod
    def of(cls, table: Table) -> RowShape:
        columns = table.row_columns
        keywords: list[tuple[str, Any]] = []
        index = 0
        while index < len(columns):
            if columns[index : index + len(DUP_COLUMNS)] == DUP_COLUMNS:
                keywords.append((DUP, REQUIRED))
                index += len(DUP_COLUMNS)
            else:
                keywords.append((columns[index], table.omitted_values[columns[index]]))
                index += 1
        return cls(table.name, tuple(keywords))

    def problem(self, given: Sequence[str]) -> str | None:
        """Why a call naming ``given`` (in its order) cannot build this table's row, or None."""
        order = {name: index for index, (name, _) in enumerate(self.keywords)}
        unknown = [name for name in given if name not in order]
        if unknown:
            return f"{self.table} has no column {', '.join(unknown)}"
        missing = [name for name, default in self.keywords if default is REQUIRED and name not in given]
        if missing:
            return f"{self.table} needs {', '.join(missing)} (NOT NULL without a default)"
        positions = [order[name] for name in given]
        if positions != sorted(set(positions)):
            return f"{self.table}: name each column once, in the table's order ({', '.join(order)})"
        return None

    def factory(self) -> Callable[..., Row]:
        def make(**columns: Any) -> Row:
            problem = self.problem(list(columns))
            if problem:
                raise TypeError(problem)
            cells: list[Any] = []
            for name, default in self.keywords:
                value = columns.get(name, default)
                if name == DUP:
                    cells.extend(value)
                else:
                    cells.append(value)
            return tuple(cells)

        make.__name__ = make.__qualname__ = self.table
        return make


SHAPES = {table.name: RowShape.of(table) for table in TABLES}
row = SimpleNamespace(**{name: shape.factory() for name, shape in SHAPES.items()})


class _RowCallsToTuples(ast.NodeTransformer):
    def __init__(self, filename: str) -> None:
        self.filename = filename

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if not (
            isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "row"
        ):
            return node
        where = f"{self.filename}:{node.lineno}"
        shape = SHAPES.get(func.attr)
        if shape is None:
            raise TypeError(f"{where}: row.{func.attr}: no such table")
        if node.args or any(keyword.arg is None for keyword in node.keywords):
            raise TypeError(f"{where}: row.{func.attr}(...) takes its columns by name only")
        given = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg}
        problem = shape.problem(list(given))
        if problem:
            raise TypeError(f"{where}: {problem}")
        cells: list[ast.expr] = []
        for name, default in shape.keywords:
            value = given.get(name)
            if value is None:
                cells.append(ast.Constant(default))
            elif name == DUP:
                cells.append(ast.Starred(value, ast.Load()))
            else:
                cells.append(value)
        return ast.copy_location(ast.Tuple(cells, ast.Load()), node)


# A module's decorated functions are compiled one after the other while it is imported.
@functools.lru_cache(maxsize=1)
def _source_tree(filename: str) -> ast.Module:
    return ast.parse(Path(filename).read_bytes(), filename)


def builds_rows(function: Function) -> Function:
    """The function with its ``row.<table>(column=...)`` calls compiled into tuple literals.

    The columns a call names must be the table's, in its order (so the values are computed in the
    order the call shows), and the NOT NULL ones without a default must be there; anything else is
    an error on import. Without the source (a byte-code-only install) the function is left as it
    is: its calls then go to the factories, with the same result.
    """
    code = function.__code__
    try:
        tree = _source_tree(code.co_filename)
    except OSError:
        return function
    definition = next(
        (
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef)
            and node.name == function.__name__
            and min(n.lineno for n in [node, *node.decorator_list]) == code.co_firstlineno
        ),
        None,
    )
    if definition is None:  # the file changed since it was imported
        return function
    if code.co_freevars or len(definition.decorator_list) != 1:
        raise TypeError(f"{code.co_filename}:{definition.lineno}: builds_rows takes plain functions, alone")
    definition.decorator_list = []
    module = ast.fix_missing_locations(
        _RowCallsToTuples(code.co_filename).visit(ast.Module([definition], []))
    )
    # Compiled under this module's ``from __future__ import annotations``, like the function's own.
    compiled_module = compile(module, code.co_filename, "exec")
    namespace: dict[str, Any] = {}
    exec(compiled_module, function.__globals__, namespace)
    compiled = namespace[function.__name__]
    compiled.__qualname__ = function.__qualname__
    compiled.__wrapped__ = function
    return compiled
