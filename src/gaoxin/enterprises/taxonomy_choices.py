"""The taxonomy (chains, segments, areas) as the web layer shows it: labels in the active
language, and codes found from what people type in Excel (a code or either label)."""

from __future__ import annotations

from functools import cache

from django.utils.translation import get_language

from gaoxin.enterprises import taxonomy


def _english() -> bool:
    return (get_language() or "zh-hans").startswith("en")


def _pick(choices: list[taxonomy.Choice]) -> list[tuple[str, str]]:
    index = 2 if _english() else 1
    return [(c[0], c[index]) for c in choices]


def chain_choices() -> list[tuple[str, str]]:
    return _pick(taxonomy.chain_choices())


def segment_choices(chain: str | None = None) -> list[tuple[str, str]]:
    try:
        return _pick(taxonomy.segment_choices(chain or None))
    except KeyError:
        return []


def area_choices() -> list[tuple[str, str]]:
    return _pick(taxonomy.area_choices())


@cache
def _labels() -> dict[str, dict[str, tuple[str, str]]]:
    return {
        "chain": {c[0]: (c[1], c[2]) for c in taxonomy.chain_choices()},
        "segment": {c[0]: (c[1], c[2]) for c in taxonomy.segment_choices()},
        "area": {c[0]: (c[1], c[2]) for c in taxonomy.area_choices()},
    }


@cache
def _codes() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for kind, labels in _labels().items():
        lookup = out.setdefault(kind, {})
        for code, (zh, en) in labels.items():
            lookup[code.lower()] = code
            lookup[zh] = code
            lookup[en.lower()] = code
            if kind == "segment":  # "平板显示 / 面板" or just "面板" when unambiguous
                lookup.setdefault(zh.split(" / ")[-1], code)
    return out


def label(kind: str, code: str) -> str:
    """The label of a code in the active language; an unknown code (a zone's own chain) is
    shown as it is."""
    if not code:
        return ""
    pair = _labels()[kind].get(code)
    if pair is None:
        return code
    text = pair[1] if _english() else pair[0]
    return text.split(" / ")[-1] if kind == "segment" else text


def to_code(kind: str, text: str) -> str:
    """A code for what was typed: a known code or label becomes its code; other text is kept,
    so a zone can use chains the shipped taxonomy does not have."""
    if not text:
        return text
    return _codes()[kind].get(text) or _codes()[kind].get(text.lower()) or text
