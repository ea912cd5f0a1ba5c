"""从政策原文起草: staff paste a clause of a policy document and get the items found, highlighted
in the text, and a draft rule to carry into the policy editor."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gaoxin.core.web import permission_required
from gaoxin.policies import drafting

MAX_CHARS = 5000  # one clause or a few; a whole document is pasted clause by clause
COMPARISONS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "="}
KIND_NAMES = {
    drafting.THRESHOLD: gettext_lazy("门槛"),
    drafting.AMOUNT: gettext_lazy("金额"),
    drafting.RATE: gettext_lazy("比例"),
    drafting.CAP: gettext_lazy("上限"),
    drafting.PER_UNIT: gettext_lazy("单价"),
    drafting.STEP: gettext_lazy("每满"),
    drafting.DATE: gettext_lazy("日期"),
    drafting.DURATION: gettext_lazy("期限"),
}


@dataclass(frozen=True)
class Piece:
    """A run of the source text, and the items found in it when it is highlighted."""

    text: str
    items: tuple[drafting.Item, ...] = ()

    @property
    def tooltip(self) -> str:
        return "；".join(describe(i) for i in self.items)


def describe(item: drafting.Item) -> str:
    """门槛 ≥ 2000万元 · revenue · Y-1"""
    parts = [f"{KIND_NAMES[item.kind]} {COMPARISONS[item.comparison]} {item.value_text()}"]
    if item.field:
        parts.append(item.field)
    if item.years:
        parts.append(item.years)
    if item.event:
        parts.append(_("自%(e)s之日起") % {"e": item.event})
    return " · ".join(parts)


def pieces(text: str, items: list[drafting.Item]) -> list[Piece]:
    """The text cut at the items' spans; items sharing a span (a band's two edges) share a
    piece."""
    out: list[Piece] = []
    at = 0
    spans: dict[tuple[int, int], list[drafting.Item]] = {}
    for item in items:
        spans.setdefault((item.start, item.end), []).append(item)
    for (start, end), group in sorted(spans.items()):
        if start < at:
            continue
        if start > at:
            out.append(Piece(text[at:start]))
        out.append(Piece(text[start:end], tuple(group)))
        at = end
    if at < len(text):
        out.append(Piece(text[at:]))
    return out


@permission_required("policies.view_policy", "policies.add_policy")
def draft_from_text(request: HttpRequest) -> HttpResponse:
    text = request.POST.get("text", "").strip() if request.method == "POST" else ""
    context: dict[str, object] = {"text": text, "max_chars": MAX_CHARS}
    if request.method == "POST":
        if not text:
            context["error"] = _("请粘贴政策原文")
        elif len(text) > MAX_CHARS:
            context["error"] = _("原文过长（%(n)s 字以内），请逐条粘贴") % {"n": MAX_CHARS}
        else:
            draft = drafting.draft(text)
            context.update(
                draft=draft,
                pieces=pieces(text, draft.items),
                rows=[(i, describe(i)) for i in draft.items],
                problems=drafting.check_draft(draft.yaml),
            )
    return render(request, "policies/draft_from_text.html", context)
