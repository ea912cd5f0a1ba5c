"""Recursive-descent parser: expression text → tree (gaoxin.rules.ast). No eval, ever."""

from __future__ import annotations

import datetime as dt

from . import ast as A
from .errors import ExprError
from .events import DURATIONS
from .lexer import Token, tokenize
from .units import UNITS, scale

COMPARISONS = {"<", "<=", ">", ">=", "==", "!=", "="}


def parse(text: str) -> A.Node:
    return _Parser(text).parse()


def parse_date(text: str, offset: int = 0) -> dt.date:
    try:
        y, m, d = (int(p) for p in text.split("-"))
        return dt.date(y, m, d)
    except ValueError:
        raise ExprError(
            f"bad date '{text}'", offset, "write dates as YYYY-MM-DD, e.g. 2025-06-30"
        ) from None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    # -- helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def at(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    def expect(self, op: str) -> Token:
        if not self.at(op):
            raise ExprError(f"expected '{op}' but found {self.describe(self.tok)}", self.tok.offset)
        return self.next()

    @staticmethod
    def describe(t: Token) -> str:
        return "the end of the expression" if t.kind == "end" else f"'{t.text}'"

    def parse(self) -> A.Node:
        if self.tok.kind == "end":
            raise ExprError("empty expression", 0, "write a condition such as revenue[Y-1] > 0")
        node = self.expr()
        if self.tok.kind != "end":
            raise ExprError(
                f"unexpected {self.describe(self.tok)}",
                self.tok.offset,
                "is an operator such as 'and' missing?",
            )
        return node

    # -- grammar, loosest first
    def expr(self) -> A.Node:
        return self.logic("or", self.logic_and)

    def logic_and(self) -> A.Node:
        return self.logic("and", self.logic_not)

    def logic(self, op: str, operand: object) -> A.Node:
        sub = operand
        start = self.tok.offset
        items = [sub()]  # type: ignore[operator]
        while self.at(op):
            self.next()
            items.append(sub())  # type: ignore[operator]
        if len(items) == 1:
            return items[0]
        return A.Logic(op, tuple(items), span=(start, items[-1].span[1]))

    def logic_not(self) -> A.Node:
        if self.at("not"):
            t = self.next()
            operand = self.logic_not()
            return A.Unary("not", operand, span=(t.offset, operand.span[1]))
        return self.comparison()

    def comparison(self) -> A.Node:
        left = self.additive()
        if self.tok.kind == "op" and self.tok.text in COMPARISONS:
            op = self.next().text
            right = self.additive()
            op = "==" if op == "=" else op
            return A.Compare(
                op,
                left,
                right,
                span=(left.span[0], right.span[1]),
                left_text=self.text[left.span[0] : left.span[1]].strip(),
            )
        negate = False
        if self.at("not") and self.tokens[self.i + 1].text == "in":
            self.next()
            negate = True
        if self.at("in"):
            self.next()
            self.expect("[")
            items = self.arguments("]")
            end = self.next().end
            return A.InList(left, tuple(items), negate, span=(left.span[0], end))
        return left

    def additive(self) -> A.Node:
        node = self.multiplicative()
        while self.at("+", "-"):
            op = self.next().text
            right = self.multiplicative()
            node = A.Binary(op, node, right, span=(node.span[0], right.span[1]))
        return node

    def multiplicative(self) -> A.Node:
        node = self.unary()
        while self.at("*", "/"):
            op = self.next().text
            right = self.unary()
            node = A.Binary(op, node, right, span=(node.span[0], right.span[1]))
        return node

    def unary(self) -> A.Node:
        if self.at("-"):
            t = self.next()
            operand = self.unary()
            if isinstance(operand, A.Num):
                return A.Num(-operand.value, operand.kind, span=(t.offset, operand.span[1]))
            return A.Unary("-", operand, span=(t.offset, operand.span[1]))
        if self.at("+"):
            self.next()
            return self.unary()
        return self.primary()

    def primary(self) -> A.Node:
        t = self.tok
        if t.kind == "number":
            self.next()
            if t.unit in DURATIONS:
                value = scale(t.text, None)
                return A.Num(value, DURATIONS[t.unit], span=(t.offset, t.end))
            kind = UNITS[t.unit][2] if t.unit else "plain"
            return A.Num(scale(t.text, t.unit), kind, span=(t.offset, t.end))
        if t.kind == "date":
            self.next()
            return A.DateLit(parse_date(t.text, t.offset), span=(t.offset, t.end))
        if t.kind == "string":
            self.next()
            return A.Str(t.text, span=(t.offset, t.end))
        if self.at("true", "false"):
            self.next()
            return A.Bool(t.text == "true", span=(t.offset, t.end))
        if self.at("("):
            self.next()
            node = self.expr()
            self.expect(")")
            return node
        if t.kind == "name":
            self.next()
            if self.at("("):
                self.next()
                args = self.arguments(")")
                end = self.next().end
                return A.Call(t.text, tuple(args), span=(t.offset, end))
            if self.at("["):
                self.next()
                first = self.year()
                last = None
                if self.at(".."):
                    self.next()
                    last = self.year()
                end = self.expect("]").end
                return A.Index(t.text, first, last, span=(t.offset, end))
            return A.Name(t.text, span=(t.offset, t.end))
        raise ExprError(
            f"unexpected {self.describe(t)}",
            t.offset,
            "expected a number, a field, a function call or '('",
        )

    def arguments(self, close: str) -> list[A.Node]:
        args: list[A.Node] = []
        if self.at(close):
            return args
        args.append(self.expr())
        while self.at(","):
            self.next()
            args.append(self.expr())
        if not self.at(close):
            raise ExprError(
                f"expected ',' or '{close}' but found {self.describe(self.tok)}", self.tok.offset
            )
        return args

    def year(self) -> A.Year:
        t = self.tok
        if t.kind == "name" and t.text == "Y":
            self.next()
            if self.at("+", "-"):
                sign = -1 if self.next().text == "-" else 1
                n = self.tok
                if n.kind != "number" or not n.text.isdigit() or n.unit:
                    raise ExprError("expected a whole number of years after Y±", n.offset)
                self.next()
                return A.Year(sign * int(n.text), relative=True)
            return A.Year(0, relative=True)
        if t.kind == "number" and t.text.isdigit() and len(t.text) == 4 and not t.unit:
            self.next()
            return A.Year(int(t.text), relative=False)
        raise ExprError(
            f"bad year {self.describe(t)}",
            t.offset,
            "index a yearly field with Y, Y-1 or a year such as 2024",
        )
