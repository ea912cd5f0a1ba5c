"""按表单编写政策: the policy form (`authoring.Draft`) beside its text and its plain-Chinese
reading. Rows and bands are added and removed by the server (no script needed); a text the form
can't represent opens in the text editor with the reasons, never half-read."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gaoxin import catalogue
from gaoxin.core.audit import Actor
from gaoxin.core.errors import DomainError
from gaoxin.core.web import permission_required
from gaoxin.enterprises.choices import ContactRole
from gaoxin.policies import authoring as au
from gaoxin.policies import library, selectors, services, versions
from gaoxin.policies.choices import Category, Delivery, Stage
from gaoxin.policies.forms import PolicyTextForm
from gaoxin.policies.models import Policy
from gaoxin.rules import run_tests
from gaoxin.rules.describe import describe

VIEW, ADD, CHANGE = "policies.view_policy", "policies.add_policy", "policies.change_policy"
MAX_GROUPS, MAX_ROWS, MAX_BANDS = 30, 20, 20
_GROUP = re.compile(r"^g(\d+)-label$")
_ROW = re.compile(r"^g(\d+)-r(\d+)-field$")
_BAND = re.compile(r"^benefit-band(\d+)-op$")


def _indexes(data: QueryDict, pattern: re.Pattern[str], limit: int, **fixed: int) -> list[int]:
    found = set()
    for key in data:
        m = pattern.match(key)
        if m and all(int(m[i + 1]) == v for i, v in enumerate(fixed.values())):
            found.add(int(m[len(fixed) + 1]))
    return sorted(found)[:limit]


def draft_from(data: QueryDict) -> au.Draft:
    """The Draft the posted form describes (whatever was posted: `check` says what is wrong)."""

    def get(key: str, default: str = "") -> str:
        return str(data.get(key, default)).strip()

    groups = []
    for g in _indexes(data, _GROUP, MAX_GROUPS):
        rows = [
            au.Row(
                get(f"g{g}-r{r}-field"),
                get(f"g{g}-r{r}-year", "Y-1"),
                get(f"g{g}-r{r}-op"),
                get(f"g{g}-r{r}-value"),
            )
            for r in _indexes(data, _ROW, MAX_ROWS, g=g)
        ]
        groups.append(
            au.Group(
                get(f"g{g}-label"),
                get(f"g{g}-join", "and"),
                rows,
                data.get(f"g{g}-manual") == "on",
                get(f"g{g}-note"),
            )
        )
    bands = [
        au.Band(
            get(f"benefit-band{i}-op"),
            get(f"benefit-band{i}-bound"),
            get(f"benefit-band{i}-amount"),
        )
        for i in _indexes(data, _BAND, MAX_BANDS)
    ]
    benefit = au.Benefit(
        template=get("benefit-template", au.FIXED),
        amount=get("benefit-amount"),
        base=get("benefit-base"),
        base_year=get("benefit-base_year", "Y-1"),
        rate=get("benefit-rate"),
        cap=get("benefit-cap"),
        lifetime_cap=get("benefit-lifetime_cap"),
        bands=bands,
        otherwise=get("benefit-otherwise", "0"),
        table=get("benefit-table"),
        item_field=get("benefit-item_field"),
        item_op=get("benefit-item_op", "=="),
        item_value=get("benefit-item_value"),
        per_item=get("benefit-per_item"),
        per_item_rate=get("benefit-per_item_rate"),
        per_item_field=get("benefit-per_item_field"),
        note=get("benefit-note"),
    )
    return au.Draft(
        id=get("id"),
        title=get("title"),
        issuer=get("issuer"),
        source=get("source"),
        category=get("category"),
        delivery=get("delivery"),
        effective_from=get("effective_from"),
        effective_to=get("effective_to"),
        notify=[str(r) for r in data.getlist("notify")],
        stack_group=get("stack_group"),
        once_per=get("once_per"),
        excludes=get("excludes"),
        region=get("region"),
        stage=get("stage", "final"),
        budget=get("budget"),
        notes=get("notes"),
        description=get("description"),
        groups=groups,
        benefit=benefit,
        tests=str(data.get("tests", "")),
    )


def _edit_structure(draft: au.Draft, op: str) -> bool:
    """Add or remove a condition, a row or a band as the button pressed says; False when `op`
    is not such a button."""
    name, _sep, rest = op.partition(":")
    at = [int(p) for p in rest.split(":") if p.isdigit()]
    if name == "add_group" and len(draft.groups) < MAX_GROUPS:
        draft.groups.append(au.Group())
    elif name == "del_group" and at and at[0] < len(draft.groups):
        del draft.groups[at[0]]
    elif name == "add_row" and at and at[0] < len(draft.groups):
        if len(draft.groups[at[0]].rows) < MAX_ROWS:
            draft.groups[at[0]].rows.append(au.Row())
    elif name == "del_row" and len(at) == 2 and at[0] < len(draft.groups):
        rows = draft.groups[at[0]].rows
        if at[1] < len(rows):
            del rows[at[1]]
    elif name == "add_band" and len(draft.benefit.bands) < MAX_BANDS:
        draft.benefit.bands.append(au.Band())
    elif name == "del_band" and at and at[0] < len(draft.benefit.bands):
        del draft.benefit.bands[at[0]]
    elif name != "refresh":
        return False
    return True


def reading(draft: au.Draft) -> dict[str, Any]:
    """What the preview pane shows: the text, its problems located on the form's fields, and
    the conditions and benefit in plain Chinese."""
    errors = au.check(draft)
    if errors:
        return {"errors": errors, "text": "", "problems": [], "plain": None}
    written = au.to_yaml(draft)
    problems = library.problems_of(written.text)
    for p in problems:
        errors.setdefault(written.field_at(p.line) or "groups", p.message)
    plain = None
    if not problems:
        loaded = library.parse(written.text)
        today = timezone.localdate()
        plain = {
            "conditions": [
                (c.label, describe(c.when, loaded, today) if c.when else _("人工审核"))
                for c in loaded.conditions
            ],
            "benefit": (
                describe(loaded.benefit, loaded, today, money=True) if loaded.benefit else ""
            ),
        }
    return {"errors": errors, "text": written.text, "problems": problems, "plain": plain}


def _group_views(draft: au.Draft, errors: dict[str, str]) -> list[dict[str, Any]]:
    """Each condition and row with the problems found on its fields."""
    return [
        {
            "g": g,
            "group": group,
            "label_error": errors.get(f"g{g}-label"),
            "join_error": errors.get(f"g{g}-join"),
            "rows": [
                {
                    "r": r,
                    "row": row,
                    "e": {
                        k: errors.get(f"g{g}-r{r}-{k}") for k in ("field", "year", "op", "value")
                    },
                }
                for r, row in enumerate(group.rows)
            ],
        }
        for g, group in enumerate(draft.groups)
    ]


def _context(
    policy: Policy | None, draft: au.Draft, *, fresh: bool = False, **extra: Any
) -> dict[str, Any]:
    """`fresh`: a new, empty form — what is still to fill in is not marked as wrong yet."""
    fields = au.field_choices()
    found = reading(draft)
    if fresh:
        found["errors"] = {}
    errors = found["errors"]
    return {
        "policy": policy,
        "draft": draft,
        "fields": fields,
        "field_ops": {f.name: " ".join(au.ops_for(f)) for f in fields},
        "manual": au.MANUAL,
        "ops": list(OP_NAMES.items()),
        "item_ops": [(k, v) for k, v in OP_NAMES.items() if k in ITEM_OPS],
        "years": list(YEAR_NAMES.items()),
        "joins": (("and", _("全部满足")), ("or", _("满足其一"))),
        "band_ops": [(k, BAND_NAMES[k]) for k in au.BAND_OPS],
        "templates": [(t, TEMPLATE_NAMES[t]) for t in au.templates()],
        "group_views": _group_views(draft, errors),
        "band_views": [
            {
                "i": i,
                "band": band,
                "e": {k: errors.get(f"benefit-band{i}-{k}") for k in ("op", "bound", "amount")},
            }
            for i, band in enumerate(draft.benefit.bands)
        ],
        "categories": Category.choices,
        "deliveries": Delivery.choices,
        "stages": Stage.choices,
        "roles": [(r, ROLE_NAMES[r]) for r in au.CONTACT_ROLES],
        "money_fields": [f for f in fields if f.is_number],
        "item_tables": catalogue.ITEM_TABLES,
        **found,
        **extra,
    }


TEMPLATE_NAMES = {
    au.NONE: gettext_lazy("无金额（资质认定、培育筛选、仅告知）"),
    au.FIXED: gettext_lazy("固定金额"),
    au.RATE: gettext_lazy("按比例（基数 × 比例，可设上限）"),
    au.BANDS: gettext_lazy("分档（按某项数值所在的档次）"),
    au.PER_ITEM: gettext_lazy("逐项计算（每件专利、每台设备、每家入驻企业）"),
    au.UPTO: gettext_lazy("最高不超过（具体金额由人核定）"),
}
ROLE_NAMES = dict(ContactRole.choices)
OP_NAMES = {
    ">=": "≥",
    ">": ">",
    "<=": "≤",
    "<": "<",
    "==": "=",
    "!=": "≠",
    au.HAS: gettext_lazy("持有（在有效期内）"),
    au.HAS_NOT: gettext_lazy("未持有"),
    au.YES: gettext_lazy("是"),
    au.NO: gettext_lazy("否"),
    au.YEARS_AT_LEAST: gettext_lazy("已满（年）"),
    au.YEARS_BELOW: gettext_lazy("未满（年）"),
    au.YEARS_AT_MOST: gettext_lazy("不超过（年）"),
    au.YEAR_IS: gettext_lazy("取得年份为"),
    au.YEAR_BY: gettext_lazy("取得年份不晚于"),
    au.MANUAL: gettext_lazy("由人认定"),
}
ITEM_OPS = (*au.COMPARE, au.YES, au.NO)
YEAR_NAMES = {
    "Y": gettext_lazy("当年"),
    "Y-1": gettext_lazy("上年"),
    "Y-2": gettext_lazy("前年"),
    "Y-3": gettext_lazy("三年前"),
}
BAND_NAMES = {
    "upto": gettext_lazy("不超过（≤）"),
    "below": gettext_lazy("低于（<）"),
    "atleast": gettext_lazy("不低于（≥）"),
    "above": gettext_lazy("超过（>）"),
}


def _text_editor(
    request: HttpRequest, policy: Policy | None, text: str, reasons: list[str]
) -> HttpResponse:
    """The text in the text editor, saying why the form could not show it."""
    form = PolicyTextForm(initial={"text": text})
    return render(
        request,
        "policies/edit.html",
        {"form": form, "policy": policy, "problems": [], "not_in_form": reasons},
    )


@permission_required(VIEW, ADD)
def form_create(request: HttpRequest) -> HttpResponse:
    return _form(request, None)


@permission_required(VIEW, CHANGE)
def form_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _form(request, selectors.get_visible(request.user, pk))


def _form(request: HttpRequest, policy: Policy | None) -> HttpResponse:
    carried = None  # a text carried here from the text editor or 从政策原文起草
    if request.method == "POST":
        if "draft-to-form" in request.POST:
            carried = str(request.POST.get("text", ""))
        elif "draft" in request.POST:
            carried = str(request.POST.get("draft", ""))
    if request.method == "GET" or carried is not None:
        if carried is not None:  # from the text editor or 从政策原文起草
            text = carried
        elif policy is not None:
            version = versions.pending(policy) or policy.current
            text = version.text if version is not None else ""
        else:
            return render(
                request, "policies/form.html", _context(None, _starting_draft(), fresh=True)
            )
        try:
            draft = au.from_yaml(text)
        except au.Unrepresentable as exc:
            return _text_editor(request, policy, text, exc.reasons)
        return render(request, "policies/form.html", _context(policy, draft))
    draft = draft_from(request.POST)
    op = request.POST.get("op", "save")
    if op == "text":  # to the text editor, with what was filled in
        errors = au.check(draft)
        if errors:
            return render(
                request,
                "policies/form.html",
                _context(policy, draft, failed=_("请先修改标出的问题，再转到文本编辑")),
            )
        return _text_editor(request, policy, au.to_yaml(draft).text, [])
    if op != "save":
        _edit_structure(draft, op)
        return render(request, "policies/form.html", _context(policy, draft))
    context = _context(policy, draft)
    if context["errors"]:
        context["failed"] = _("请修改标出的问题后再保存")
        return render(request, "policies/form.html", context)
    try:
        saved = services.save_policy(actor=Actor.of(request), text=context["text"], policy=policy)
    except DomainError as exc:
        context["errors"]["id" if exc.field == "text" else "groups"] = str(exc.message)
        context["failed"] = str(exc.message)
        return render(request, "policies/form.html", context)
    draft_version = versions.pending(saved)
    if draft_version is None:
        messages.info(request, _("内容与现行版本相同，没有新的修改稿"))
        return redirect("policies:detail", pk=saved.pk)
    messages.success(request, _("已保存为修改稿；提交审批、经另一位工作人员审批后才能发布"))
    return redirect("policies:version", pk=saved.pk, version_id=draft_version.pk)


def _starting_draft() -> au.Draft:
    year = timezone.localdate().year
    return au.Draft(
        effective_from=f"{year}-01-01",
        effective_to=f"{year}-12-31",
        groups=[au.Group(rows=[au.Row(field="in_zone", op=au.YES)], label="在园区注册")],
    )


@require_POST
@permission_required(VIEW)
def form_preview(request: HttpRequest) -> HttpResponse:
    """The preview pane as the form stands (HTMX, as it is typed)."""
    return render(request, "policies/_form_preview.html", reading(draft_from(request.POST)))


@require_POST
@permission_required(VIEW)
def form_run_tests(request: HttpRequest) -> HttpResponse:
    """The policy's tests, run on the text the form writes now."""
    found = reading(draft_from(request.POST))
    if found["errors"]:
        return render(request, "policies/_form_preview.html", found)
    outcomes, _untested = run_tests([library.parse(found["text"])])
    return render(request, "policies/_tests.html", {"outcomes": outcomes})
