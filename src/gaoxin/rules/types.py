"""Static types of expressions, checked at load time."""

from __future__ import annotations

from dataclasses import dataclass

NUMBER, BOOL, DATE, TEXT, RANGE = "number", "boolean", "date", "text", "range"


@dataclass(frozen=True, slots=True)
class Type:
    base: str  # number | boolean | date | text | range
    kind: str = "plain"  # for numbers, how to show them: money | count | percent | years | plain

    def __str__(self) -> str:
        if self.base == NUMBER and self.kind in ("money", "percent", "count"):
            return {"money": "money", "percent": "ratio", "count": "count"}[self.kind]
        return self.base


T_BOOL = Type(BOOL)
T_DATE = Type(DATE)
T_TEXT = Type(TEXT)
T_NUMBER = Type(NUMBER)

# Catalogue types of fields and declared `inputs` → language types.
FIELD_TYPES = {
    "money": Type(NUMBER, "money"),
    "integer": Type(NUMBER, "count"),
    "number": T_NUMBER,
    "percent": Type(NUMBER, "percent"),
    "boolean": T_BOOL,
    "date": T_DATE,
    "text": T_TEXT,
}
