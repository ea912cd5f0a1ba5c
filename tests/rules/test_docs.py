"""docs/rules.md lists the field catalogue exactly as the code has it."""

from __future__ import annotations

from gaoxin.rules.docgen import END, START, section

from .conftest import REPO


def test_catalogue_table_in_docs_matches_the_code():
    text = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    start = text.index(START)
    end = text.index(END) + len(END)
    assert text[start:end] == section(), "run: python -m gaoxin.rules.docgen docs/rules.md"
