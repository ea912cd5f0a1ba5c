"""Where an expression sits in its YAML file, character by character."""

from __future__ import annotations

import bisect

import yaml


class FileText:
    def __init__(self, text: str, name: str) -> None:
        self.text = text
        self.name = name
        self.line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def position(self, index: int) -> tuple[int, int]:
        """1-based line and column of a character index."""
        line = bisect.bisect_right(self.line_starts, index) - 1
        return line + 1, index - self.line_starts[line] + 1


class Source:
    """The text of one YAML scalar holding an expression, with each character's index in the
    file. YAML may have folded lines or stripped quotes, so the value is aligned to the raw
    text greedily, character by character."""

    def __init__(self, node: yaml.ScalarNode, file: FileText) -> None:
        self.text = str(node.value)
        self.file = file
        start, end = node.start_mark.index, node.end_mark.index
        raw = file.text
        self.index: list[int] = []
        p = start
        for c in self.text:
            q = p
            while q < end and raw[q] != c:
                q += 1
            if q < end:
                p = q
            self.index.append(p)
            p += 1
        self.start = start
        self.end_index = max(start, end - 1)

    def position(self, offset: int) -> tuple[int, int]:
        if offset < len(self.index):
            return self.file.position(self.index[offset])
        return self.file.position(self.index[-1] + 1 if self.index else self.start)
