"""A policy version's way to publication, and what a reviewer reads before approving or
publishing it: the moves (`REVIEW`), the version it would replace, and the difference between
the two, key by key and line by line. Reads only; the moves are made in `services`."""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from typing import Any

import yaml
from django.utils.translation import gettext_lazy as _

from gaoxin.core.workflow import Move, Workflow
from gaoxin.policies.choices import PolicyStatus, VersionState
from gaoxin.policies.library import parse
from gaoxin.policies.models import Policy, PolicyVersion

D, S, A, P, X = (
    VersionState.DRAFT,
    VersionState.SUBMITTED,
    VersionState.APPROVED,
    VersionState.PUBLISHED,
    VersionState.SUPERSEDED,
)
CHANGE = "policies.change_policy"
PUBLISH = "policies.publish_policy"

# Who: whoever may edit policies writes and submits; those who may publish approve, return
# and publish — but never approve a version they submitted themselves.
REVIEW = Workflow(
    "state",
    [
        Move("submit", (D,), S, _("提交审批"), CHANGE),
        Move("approve", (S,), A, _("审批通过"), PUBLISH, other_than="submit"),
        Move("return", (S, A), D, _("退回修改"), PUBLISH, needs_note=True),
        Move("publish", (A,), P, _("发布"), PUBLISH),
        # Not a person's choice: a newer text saved, or a newer version published.
        Move("supersede", (D, S, A, P), X, _("被新版本取代"), users_only=False, offered=False),
        # The shipped library and the demo, installed by a command: reviewed in the repository.
        Move(
            "install",
            (D, S, A),
            P,
            _("随政策库安装发布"),
            users_only=False,
            commands_only=True,
            offered=False,
        ),
    ],
)
OPEN = (D, S, A)  # still on its way; at most one per policy


def pending(policy: Policy) -> PolicyVersion | None:
    """The version on its way to publication (draft, submitted or approved), if any."""
    return policy.versions.filter(state__in=OPEN).order_by("-created_at", "-id").first()


def live(policy: Policy) -> PolicyVersion | None:
    """The version in force: the one a new version is compared with."""
    return policy.versions.filter(state=P).order_by("-created_at", "-id").first()


def as_published(policy: Policy, version: PolicyVersion) -> Policy:
    """The policy as it will be once `version` is published (unsaved): what the publish
    confirmation's dry run evaluates."""
    loaded = parse(version.text, f"{policy.slug}.yaml")
    future = copy.copy(policy)
    apply_text(future, loaded)
    future.current = version
    future.status = PolicyStatus.PUBLISHED
    return future


def apply_text(policy: Policy, loaded: Any) -> None:
    """The policy's own columns, from its text."""
    policy.title, policy.issuer, policy.source = loaded.title, loaded.issuer, loaded.source
    policy.category, policy.delivery = loaded.category, loaded.delivery
    policy.effective_from, policy.effective_to = loaded.effective_from, loaded.effective_to
    policy.stage, policy.region = loaded.stage, loaded.region[:100]


KEY_NAMES = {
    "title": _("名称"),
    "issuer": _("发布单位"),
    "source": _("政策依据"),
    "category": _("类别"),
    "effective": _("有效期"),
    "year": _("评估年度"),
    "delivery": _("兑现方式"),
    "notify": _("推送对象"),
    "parameters": _("参数"),
    "tables": _("分档表"),
    "conditions": _("申请条件"),
    "inputs": _("申报填写项"),
    "benefit": _("金额"),
    "tests": _("测试"),
    "notes": _("备注"),
    "stack_group": _("就高不重复组"),
    "budget": _("年度资金总额"),
    "stage": _("文件阶段"),
    "region": _("适用地区"),
    "beneficiary": _("受益对象"),
}


@dataclass(frozen=True)
class Change:
    key: str
    before: str  # as YAML; "" when absent
    after: str

    @property
    def name(self) -> str:
        return str(KEY_NAMES.get(self.key, ""))


@dataclass(frozen=True)
class Diff:
    against: PolicyVersion | None
    changes: list[Change]  # top-level keys whose value differs
    lines: list[tuple[str, str]]  # ("+" | "-" | " " | "@", line): a unified diff

    @property
    def empty(self) -> bool:
        return not self.changes


def diff(version: PolicyVersion) -> Diff:
    """The version against the one in force (or nothing, for a first version)."""
    against = live(version.policy)
    if against is not None and against.pk == version.pk:
        against = None
    old_text = against.text if against is not None else ""
    old = _mapping(old_text)
    new = _mapping(version.text)
    changes = [
        Change(key, _dump(old.get(key)), _dump(new.get(key)))
        for key in dict.fromkeys([*new, *old])
        if old.get(key) != new.get(key)
    ]
    lines: list[tuple[str, str]] = []
    for line in difflib.unified_diff(
        old_text.splitlines(), version.text.splitlines(), lineterm="", n=2
    ):
        if line.startswith(("---", "+++")):
            continue
        tag = "@" if line.startswith("@@") else line[:1] or " "
        lines.append((tag, line[1:] if tag != "@" else line))
    return Diff(against, changes, lines)


def _mapping(text: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        found = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, OverflowError):  # 2024-13-45 is no date
        return {}
    return found if isinstance(found, dict) else {}


def _dump(value: Any) -> str:
    if value is None:
        return ""
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=100).strip()
