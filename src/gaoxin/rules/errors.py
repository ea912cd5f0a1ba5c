"""Errors a policy author sees: one line `file:line:col: message`, plus a hint."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class PolicyError(Exception):
    """A policy that can't be loaded: where (file, 1-based line and column) and why."""

    def __init__(
        self, message: str, file: str = "<policy>", line: int = 0, col: int = 0, hint: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.col = col
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}:{self.col}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class PolicyErrors(PolicyError):
    """Every error found in one file; behaves as the first one."""

    def __init__(self, errors: list[PolicyError]) -> None:
        first = errors[0]
        super().__init__(first.message, first.file, first.line, first.col, first.hint)
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(PolicyError.__str__(e) for e in self.errors)


class ExprError(Exception):
    """An error inside one expression, at a character offset; the loader turns it into a
    PolicyError with the file position."""

    def __init__(self, message: str, offset: int, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.hint = hint


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""
