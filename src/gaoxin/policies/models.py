from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from gaoxin.enterprises.models import Enterprise, Person
from gaoxin.policies.choices import (
    ApplicationState,
    BatchState,
    Category,
    Delivery,
    MatchStatus,
    PayoutState,
    PolicyStatus,
    RiskLevel,
    RunStatus,
    Stage,
    VersionState,
)


class Policy(models.Model):
    """A support policy, qualification standard or screen, written in the rules language.
    Its text lives in versions; `current` is the version in force for matching."""

    slug = models.SlugField(_("编号"), max_length=100, unique=True)
    title = models.CharField(_("名称"), max_length=200)
    issuer = models.CharField(_("发布单位"), max_length=200, blank=True)
    source = models.CharField(_("政策依据"), max_length=300, blank=True)
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    delivery = models.CharField(_("兑现方式"), max_length=10, choices=Delivery.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT
    )
    stage = models.CharField(
        _("文件阶段"), max_length=12, choices=Stage.choices, default=Stage.FINAL
    )
    region = models.CharField(_("适用地区"), max_length=100, blank=True)
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    effective_to = models.DateField(_("截止日期"), null=True, blank=True)
    current = models.ForeignKey(
        "PolicyVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("当前版本"),
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("政策")
        verbose_name_plural = _("政策")
        ordering = ("-updated_at", "id")
        permissions = [("publish_policy", _("发布政策"))]

    def __str__(self) -> str:
        return self.title

    @property
    def for_comment(self) -> bool:
        """A 征求意见稿: matched and shown, never pushed as an entitlement, never paid."""
        return self.stage == Stage.FOR_COMMENT


class PolicyVersion(models.Model):
    """The policy's text at one point; immutable. `version` is the engine's content hash."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(_("版本"), max_length=64)
    text = models.TextField(_("规则文本"))
    created_at = models.DateTimeField(_("保存时间"), auto_now_add=True)
    created_by = models.CharField(_("保存人"), max_length=150)
    # Moved only by `policies.versions.REVIEW` (each move in the audit log).
    state = models.CharField(
        _("审批状态"), max_length=12, choices=VersionState.choices, default=VersionState.DRAFT
    )

    class Meta:
        verbose_name = _("政策版本")
        verbose_name_plural = _("政策版本")
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=["policy", "version"], name="policy_version_unique")
        ]

    def __str__(self) -> str:
        return _("规则版本 %(v)s") % {"v": self.version}


class MatchRun(models.Model):
    """One matching of a policy version against the registry, in partitions that workers can
    take independently."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="runs")
    # The partition plan it was matched by (with the runs planned beside it); None for runs
    # planned before plans were stored.
    job = models.ForeignKey(
        "MatchJob", null=True, blank=True, on_delete=models.CASCADE, related_name="runs"
    )
    evaluated_on = models.DateField(_("评估日期"))
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    partitions = models.PositiveIntegerField(default=1)
    partitions_done = models.PositiveIntegerField(default=0)
    enterprises = models.PositiveIntegerField(_("评估企业数"), default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ("-started_at", "-id")

    def __str__(self) -> str:
        return f"run {self.pk} of {self.version}"


class PolicyMatch(models.Model):
    """What one enterprise gets from one policy, as of its latest evaluation. Only what people
    look at is kept: eligible, review, unknown and near misses — not every hopeless pair."""

    # A province's job writes tens of millions of these rows, so what each row costs to write
    # is kept to what earns it (docs/scale.md, "What a stored row costs"):
    # - no index of their own for `policy` and `enterprise`: the unique constraint's index
    #   starts with policy, the (enterprise, status) index with enterprise;
    # - no foreign-key constraints in the database: PostgreSQL checks one per row and key at
    #   commit (three lookups and row locks a row; about half a partition's time). The store
    #   does that work once per batch instead (`match_store.hold_references`: the referenced
    #   rows locked as the constraint would, rows of a vanished enterprise dropped); deletes
    #   still cascade (Django's on_delete).
    policy = models.ForeignKey(
        Policy,
        on_delete=models.CASCADE,
        related_name="matches",
        db_index=False,
        db_constraint=False,
    )
    version = models.ForeignKey(
        PolicyVersion, on_delete=models.CASCADE, related_name="matches", db_constraint=False
    )
    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.CASCADE,
        related_name="policy_matches",
        db_index=False,
        db_constraint=False,
    )
    status = models.CharField(_("结果"), max_length=10, choices=MatchStatus.choices)
    amount = models.DecimalField(
        _("预计金额"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    # The data whose absence left the result unknown ("rd_expense_2025").
    missing = models.JSONField(default=list, blank=True)
    # How far a near miss is from passing, relative to what was needed (0.08 = 8% short): the
    # order in which staff read near misses. Not money; None when the gap is not a number.
    gap = models.FloatField(_("差距比例"), null=True, blank=True)
    evaluated_on = models.DateField(_("评估日期"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("政策匹配")
        verbose_name_plural = _("政策匹配")
        constraints = [
            models.UniqueConstraint(fields=["policy", "enterprise"], name="policy_match_unique")
        ]
        indexes = [
            # A policy's results tab: counts by status, and each status's top rows by amount.
            models.Index(fields=["policy", "status", "amount"]),
            models.Index(fields=["enterprise", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.policy_id}/{self.enterprise_id}: {self.status}"

    @property
    def explanation(self) -> dict[str, Any]:
        """Each condition with the values read, as of `evaluated_on`: computed when someone
        opens it, not stored (`matching.explain_matches` does a list at once)."""
        if self._explanation is None:
            from gaoxin.policies.matching import explain_matches

            explain_matches([self])
        assert self._explanation is not None
        return self._explanation

    @explanation.setter
    def explanation(self, value: dict[str, Any]) -> None:
        self._explanation = value

    _explanation: dict[str, Any] | None = None

    @property
    def shortfall(self) -> str:
        """A near miss's gap in words ("研发投入强度 4.6%，需 ≥ 5%"), from its explanation."""
        if self.status in ("eligible", "review"):
            return ""  # every condition passed
        texts = [
            s["text"]
            for c in self.explanation.get("conditions", [])
            for s in c.get("shortfalls", [])
        ]
        return "；".join(texts)


class PayoutBatch(models.Model):
    """Payouts approved and paid together, from one policy's budget pool for one year."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="batches")
    year = models.PositiveSmallIntegerField(_("预算年度"))
    number = models.CharField(_("批次号"), max_length=64, unique=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=BatchState.choices, default=BatchState.DRAFT
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.CharField(_("创建人"), max_length=150)
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    approved_by = models.CharField(_("审批人"), max_length=150, blank=True)
    paid_at = models.DateTimeField(_("拨付时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("兑现批次")
        verbose_name_plural = _("兑现批次")
        ordering = ("-created_at", "-id")
        permissions = [("approve_payoutbatch", _("审批兑现批次"))]

    def __str__(self) -> str:
        return self.number


class Payout(models.Model):
    """What one enterprise — or one of its people, for a policy with `beneficiary: person` —
    is to receive from one policy in one year, and where it stands. A person's payout keeps
    the employer as `enterprise` (the enterprise sees its people's payouts; scoping is the
    enterprise's) and names the payee in `person`."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="payouts")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="payouts")
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payouts",
        verbose_name=_("受益人"),
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    # None while a bound awaits staff's decision (benefit.upto: 金额待核定, see bound_fen)
    amount_fen = models.BigIntegerField(_("金额（分）"), null=True, blank=True)
    # benefit.upto: the most staff may decide (最高不超过); None for a computed amount
    bound_fen = models.BigIntegerField(_("上限（分）"), null=True, blank=True)
    # What the payout is for, for a policy with `item:` (a listing stage, a project): each
    # item is paid once a year; "" for other policies.
    item = models.CharField(_("事项"), max_length=200, blank=True, default="")
    state = models.CharField(
        _("状态"),
        max_length=12,
        choices=PayoutState.choices,
        default=PayoutState.IDENTIFIED,
        db_index=True,
    )
    risk = models.CharField(
        _("风险等级"), max_length=6, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    risk_reasons = models.JSONField(default=list, blank=True)
    explanation = models.JSONField(default=dict, blank=True)
    bank_name = models.CharField(_("开户银行"), max_length=100, blank=True)
    account_name = models.CharField(_("账户名称"), max_length=200, blank=True)
    account_number = models.CharField(_("银行账号"), max_length=40, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    verified_by = models.CharField(_("核验人"), max_length=150, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)
    batch = models.ForeignKey(
        PayoutBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="payouts"
    )
    reservation_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("兑现")
        verbose_name_plural = _("兑现")
        ordering = ("-amount_fen", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "year", "enterprise", "item"],
                condition=models.Q(person__isnull=True),
                name="payout_once_per_year",
            ),
            models.UniqueConstraint(
                fields=["policy", "year", "person"],
                condition=models.Q(person__isnull=False),
                name="payout_once_per_person_year",
            ),
            # An amount, or a bound awaiting its amount; a decided amount within its bound.
            models.CheckConstraint(
                condition=(
                    models.Q(amount_fen__gt=0, bound_fen__isnull=True)
                    | models.Q(amount_fen__isnull=True, bound_fen__gt=0)
                    | models.Q(amount_fen__gt=0, amount_fen__lte=models.F("bound_fen"))
                ),
                name="payout_amount_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payee_name}《{self.policy}》{self.year}"

    @property
    def payee_name(self) -> str:
        """Whose account the money goes to: the person's name, else the enterprise's."""
        return self.person.name if self.person_id and self.person else self.enterprise.name


class Application(models.Model):
    """网上申报: an enterprise's application for a `delivery: apply` policy, with what it
    declared (the policy's `inputs`), the engine's decision at submission, and the review."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="applications")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="applications"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    state = models.CharField(
        _("状态"),
        max_length=16,
        choices=ApplicationState.choices,
        default=ApplicationState.SUBMITTED,
        db_index=True,
    )
    inputs = models.JSONField(_("申报内容"), default=dict)
    # The declared value of the policy's `item:` input (a listing stage, a project): one
    # application a year per item; "" for other policies.
    item = models.CharField(_("事项"), max_length=200, blank=True, default="")
    amount_fen = models.BigIntegerField(_("测算金额（分）"), null=True, blank=True)
    explanation = models.JSONField(default=dict, blank=True)
    reviews = models.JSONField(default=list, blank=True)  # [{at, by, decision, comment}]
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    payout = models.OneToOneField(
        Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="application"
    )

    class Meta:
        verbose_name = _("申报")
        verbose_name_plural = _("申报")
        ordering = ("-updated_at", "-id")
        permissions = [("review_application", _("审核申报"))]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "year", "enterprise", "item"],
                name="application_once_per_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise}《{self.policy}》{self.year}"

    @property
    def bound_fen(self) -> int | None:
        """benefit.upto: the most staff may decide (from the engine's decision), None for a
        computed amount."""
        from gaoxin.policies.payouts import _bound_fen

        return None if self.amount_fen else _bound_fen(self.explanation)


def attachment_path(instance: ApplicationAttachment, filename: str) -> str:
    return f"applications/{instance.application_id}/{filename}"


class ApplicationAttachment(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path)
    name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("申报附件")
        verbose_name_plural = _("申报附件")

    def __str__(self) -> str:
        return self.name


class MatchJob(models.Model):
    """Runs planned together over one partition plan of the registry — one run after a
    publish, every published policy for a nightly re-match — and taken partition by partition
    by whichever workers are running (policies.partitions)."""

    evaluated_on = models.DateField()
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    partitions = models.PositiveIntegerField(default=0)
    partitions_done = models.PositiveIntegerField(default=0)
    enterprises = models.PositiveIntegerField(default=0)
    matches = models.PositiveBigIntegerField(default=0)  # rows the partitions hold, summed
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    # The registry's statistics for the job's policies that rank enterprises among peers
    # (policies.peer_stats), computed once when the job was planned, so that every partition
    # reads the same whatever changes meanwhile; null when no policy of the job needs them.
    peers = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ("-started_at", "-id")

    def __str__(self) -> str:
        return f"match job {self.pk}"


class MatchPartition(models.Model):
    """A range of enterprise ids of a job. Undone and unlocked: free to take; a worker claims
    it by locking the row for as long as it matches it, and marks it done in the same
    transaction as the matches it stores."""

    job = models.ForeignKey(MatchJob, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveIntegerField()
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    enterprises = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=100, blank=True)  # host:pid of the worker that stored it
    seconds = models.FloatField(null=True, blank=True)
    matches = models.PositiveIntegerField(default=0)
    # Seconds per phase of its work (core.phases: read, evaluate, keep, write, commit, …):
    # a job's profile is the sum over its partitions.
    phases = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("job", "number")
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="match_partition_unique")
        ]

    def __str__(self) -> str:
        return f"job {self.job_id} partition {self.number}"


class EventAward(models.Model):
    """An event (a certificate granted, a landing) that has paid an award policy into the
    免申即享 flow: one row per policy, enterprise and event, so that the same record written
    again — re-imported, saved twice — never triggers the award twice."""

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="event_awards")
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="event_awards"
    )
    event = models.CharField(_("事件"), max_length=80)  # high_tech_enterprise:2025-01-02
    payout = models.ForeignKey(
        Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("事件奖励")
        verbose_name_plural = _("事件奖励")
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "enterprise", "event"], name="event_award_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id}《{self.policy_id}》{self.event}"
