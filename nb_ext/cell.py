"""A cell's code, compiled with the shell's own compiler into something the core can measure."""

from __future__ import annotations

import ast
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from types import CodeType, TracebackType
from typing import Any

__all__ = ["CompiledCell", "compile_cell"]


@dataclass(frozen=True)
class CompiledCell:
    """The statements of a cell and, when it ends with one, its last expression.

    :meth:`run` executes the cell in the user's namespace and returns the value of its last
    expression (``None`` without one), so the core can measure it like any callable.
    """

    body: CodeType | None
    last: CodeType | None
    filename: str
    """The name the cell's source is cached under (its frames' file name)."""
    user_global_ns: dict[str, Any]
    user_ns: MutableMapping[str, Any]

    @property
    def has_value(self) -> bool:
        """Whether the cell ends with an expression whose value can be recorded."""
        return self.last is not None

    def run(self) -> Any:
        __tracebackhide__ = True
        if self.body is not None:
            exec(self.body, self.user_global_ns, self.user_ns)
        if self.last is not None:
            return eval(self.last, self.user_global_ns, self.user_ns)
        return None

    def user_traceback(self, traceback: TracebackType | None) -> TracebackType | None:
        """The part of a traceback from the cell's own code on (no measuring machinery)."""
        current = traceback
        while current is not None and current.tb_frame.f_code.co_filename != self.filename:
            current = current.tb_next
        return current if current is not None else traceback


def compile_cell(shell: Any, source: str) -> CompiledCell:
    """Compile ``source`` as IPython would run it (input transforms, AST transformers).

    The code is cached under a cell name so that tracebacks show the cell's lines. A
    ``SyntaxError`` propagates.
    """
    transformed: str = shell.transform_cell(source)
    # The count was already advanced for the running cell: label frames "Cell In[n]" like it.
    number = max(int(shell.execution_count) - 1, 0)
    filename: str = shell.compile.cache(transformed, number, raw_code=source)
    tree = shell.compile.ast_parse(transformed, filename=filename)
    tree = shell.transform_ast(tree)
    statements = list(tree.body)
    last_expression: ast.Expression | None = None
    if statements and isinstance(statements[-1], ast.Expr):
        last_expression = ast.Expression(statements.pop().value)
    compile_: Callable[..., CodeType] = shell.compile
    body = compile_(ast.Module(statements, []), filename, "exec") if statements else None
    last = compile_(last_expression, filename, "eval") if last_expression is not None else None
    return CompiledCell(body, last, filename, shell.user_global_ns, shell.user_ns)
