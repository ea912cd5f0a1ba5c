"""What the no-server-error tests post: a corpus of values that broke pages and endpoints before
(or would break the next one), the forms of a page as its HTML shows them, and the check that a
response is neither a server error nor a page that shows a Python internal to a person."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

LONG = "长" * 300_000
# Text values for any field: numbers too large for every column, digits that aren't 0–9, text
# no database stores, formulas, SQL, dates that don't exist, emoji, blank.
CORPUS: tuple[str, ...] = (
    "100000000000000000000",  # 10^20
    "-1",
    str(2**64),
    "10²",
    "１２３",
    "1e5",
    "NaN",
    "-Infinity",
    "true",
    "5000万",
    "12\x00",
    LONG,
    "",
    "   ",
    '=HYPERLINK("http://evil.example","点我")',
    "2024-13-45",
    "0000-00-00",
    "' OR '1'='1' --",
    "😀🚀",
)
# Tried one field at a time (the others keep their good values): the values that broke a parser
# or a column. The whole corpus is also tried in every field at once.
SHARP: tuple[str, ...] = (
    "100000000000000000000",
    str(2**64),
    "10²",
    "１２３",
    "12\x00",
    LONG,
    "2024-13-45",
)
# JSON-only values: types a schema may not expect, and a lone surrogate (a JSON escape, which
# no form can carry).
JSON_CORPUS: tuple[Any, ...] = (
    10**20,
    -(2**64),
    1.5,
    1e308,
    True,
    None,
    [],
    {},
    "\ud800",
)
# Whole JSON bodies that are not what any endpoint reads.
RAW_BODIES: tuple[bytes, ...] = (
    b"{",
    b'{"a": 1,}',
    b"[1, 2]",
    b'"text"',
    b"null",
    b"\xff\xfe",
    b'{"x": "\\u0000"}',
    b'{"x": "\\ud800"}',
    b"[" * 5_000 + b"]" * 5_000,
)
# Bounded repetitions only: the text searched may hold 300,000 characters of one kind.
INTERNALS = re.compile(
    r"<class '|Traceback \(most recent call last\)|(?<![A-Za-z])[A-Z][A-Za-z]{0,40}Error: "
    r"|\bNoneType\b"
)


def server_error(response: Any) -> str | None:
    """Why `response` fails the no-server-error rule, or None."""
    if response.status_code >= 500:
        return f"status {response.status_code}"
    content_type = response.get("Content-Type", "")
    if "html" in content_type or "json" in content_type or "text" in content_type:
        text = response.content.decode(errors="replace")
        if found := INTERNALS.search(text):
            return f"shows {found.group(0)!r}"
    return None


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    hidden: set[str] = field(default_factory=set)


class FormParser(HTMLParser):
    """The forms of a page with the value each field would submit untouched, and the links."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self.forms.append(Form(a.get("action") or self.page, a.get("method", "get").lower()))
        elif not self.forms or "name" not in a:
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            form = self.forms[-1]
            if kind == "file":
                form.files.append(a["name"])
            elif kind in ("checkbox", "radio"):
                if "checked" in a or a["name"] not in form.fields:
                    form.fields[a["name"]] = a.get("value", "on")
            elif kind not in ("submit", "button", "image", "reset"):
                form.fields[a["name"]] = a.get("value", "")
                if kind == "hidden":
                    form.hidden.add(a["name"])
        elif tag == "select":
            self._select = a["name"]
            self.forms[-1].fields.setdefault(a["name"], "")
        elif tag == "option" and self._select:
            fields = self.forms[-1].fields
            if not fields[self._select] or "selected" in a:
                fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.forms[-1].fields[a["name"]] = ""
        elif tag == "button" and a.get("value"):
            self.forms[-1].fields.setdefault(a["name"], a["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data
