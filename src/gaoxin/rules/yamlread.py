"""Reading policy YAML with positions: the node helpers every section reader uses, and how
an error in one expression becomes `file:line:col: message`."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import yaml

from . import ast as A
from .checker import Checker
from .errors import ExprError, PolicyError
from .parser import parse
from .source import FileText, Source
from .types import Type

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DATE_RE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


class Bail(Exception):
    """Stop reading the current section; the error is already recorded."""


def canonical(node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return {str(canonical(k)): canonical(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [canonical(v) for v in node.value]
    return node.value


class Reader:
    def __init__(self, text: str, name: str) -> None:
        self.file = FileText(text, name)
        self.errors: list[PolicyError] = []

    # -- errors
    def error_at(self, node: yaml.Node, message: str, hint: str = "") -> PolicyError:
        m = node.start_mark
        err = PolicyError(message, self.file.name, m.line + 1, m.column + 1, hint)
        self.errors.append(err)
        return err

    def fail(self, node: yaml.Node, message: str, hint: str = "") -> Bail:
        self.error_at(node, message, hint)
        return Bail()

    def expr_error(self, err: ExprError, src: Source) -> None:
        source = getattr(err, "source", None) or src
        if err.offset < 0:
            err.offset = 0
        line, col = source.position(err.offset)
        self.errors.append(PolicyError(err.message, self.file.name, line, col, err.hint))

    # -- YAML helpers
    def mapping(self, node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping (key: value)")
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for k, v in node.value:
            key = str(k.value)
            if key in out:
                raise self.fail(k, f"duplicate key '{key}' in {what}")
            out[key] = (k, v)
        return out

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{what} must be a list (- item)")
        return list(node.value)

    def text(self, node: yaml.Node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, f"{what} must be text")
        return str(node.value)

    def date(self, node: yaml.Node, what: str) -> dt.date:
        value = self.text(node, what).strip()
        try:
            if not _DATE_RE.match(value):
                raise ValueError
            y, m, d = (int(p) for p in value.split("-"))
            return dt.date(y, m, d)
        except ValueError:
            raise self.fail(
                node, f"bad date '{value}' in {what}", "write dates as YYYY-MM-DD, e.g. 2025-06-30"
            ) from None

    def value(self, node: yaml.Node) -> Any:
        """Plain data (tests): scalars typed by their YAML tag, dates checked."""
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for k, v in node.value:  # YAML merge keys (<<: *base) first; own keys override
                if k.tag.endswith(":merge"):
                    for m in v.value if isinstance(v, yaml.SequenceNode) else [v]:
                        merged = self.value(m)
                        if isinstance(merged, dict):
                            out.update(merged)
            for k, v in node.value:
                if not k.tag.endswith(":merge"):
                    out[self.value(k)] = self.value(v)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.value(v) for v in node.value]
        tag, raw = node.tag, str(node.value)
        if tag.endswith(":int"):
            try:
                return int(raw.replace("_", ""))
            except ValueError:
                return raw
        if tag.endswith(":float"):
            try:
                return Decimal(raw.replace("_", ""))
            except ArithmeticError:
                return raw
        if tag.endswith(":bool"):
            return raw.lower() in ("true", "yes", "on", "y")
        if tag.endswith(":null"):
            return None
        if tag.endswith(":timestamp"):
            return self.date(node, "a value")
        return raw

    def expression(
        self, node: yaml.Node, checker: Checker, want: str | None, what: str
    ) -> tuple[A.Node, Type]:
        if not isinstance(node, yaml.ScalarNode) or node.value in (None, ""):
            raise self.fail(node, f"{what} must be an expression")
        src = Source(node, self.file)
        try:
            tree = parse(src.text)
            return checker.check(tree, want)
        except ExprError as err:
            self.expr_error(err, src)
            raise Bail() from None


class Nowhere:
    def position(self, offset: int) -> tuple[int, int]:
        return (1, 1)


NOWHERE: Any = Nowhere()
