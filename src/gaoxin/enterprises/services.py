"""Every write to the registry. Each function validates, writes in one transaction and records
the audit entry (DESIGN.md: writes go through services)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoxin import catalogue
from gaoxin.core.audit import Actor, record_change, snapshot
from gaoxin.core.errors import Conflict, ValidationFailed
from gaoxin.core.language import field_label
from gaoxin.enterprises.choices import DataSource, Recognition
from gaoxin.enterprises.figures import (
    STATIC_NAMES,
    YEARLY_NAMES,
    figure_conflicts,
    merge_reports,
    outranks,
    record_sources,
    size_band,
    source_of,
    staff_conflicts,
)
from gaoxin.enterprises.models import (
    Contact,
    Enterprise,
    Qualification,
    ReportedFigures,
    YearlyFigures,
)
from gaoxin.enterprises.signals import event, queue_events
from gaoxin.enterprises.values import InvalidValue, parse_value

ASSIGNMENT_FIELDS = ("department", "commissioner")


def clean_static(values: Mapping[str, Any]) -> dict[str, Any]:
    """Parse raw static values by the catalogue; ValidationFailed names the first bad field."""
    cleaned: dict[str, Any] = {}
    for name, raw in values.items():
        field = catalogue.BY_NAME.get(name)
        if field is None or field.kind is not catalogue.FieldKind.STATIC:
            raise ValidationFailed(_("未知字段：%(f)s") % {"f": name}, field=name)
        try:
            cleaned[name] = parse_value(field, raw)
        except InvalidValue as exc:
            raise ValidationFailed(f"{field_label(field)}：{exc}", field=name) from None
    check_staff(cleaned)
    return cleaned


def check_staff(values: Mapping[str, Any]) -> None:
    """Staff counts that contradict each other are refused."""
    for name, message in staff_conflicts(values):
        raise ValidationFailed(f"{field_label(catalogue.BY_NAME[name])}{message}", field=name)


def clean_yearly(values: Mapping[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, raw in values.items():
        field = catalogue.BY_NAME.get(name)
        if field is None or not field.yearly:
            raise ValidationFailed(_("未知字段：%(f)s") % {"f": name}, field=name)
        try:
            cleaned[name] = parse_value(field, raw)
        except InvalidValue as exc:
            raise ValidationFailed(f"{field_label(field)}：{exc}", field=name) from None
    check_figures(cleaned)
    return cleaned


def check_figures(values: Mapping[str, Any]) -> None:
    for name, message in figure_conflicts(values):
        raise ValidationFailed(f"{field_label(catalogue.BY_NAME[name])}{message}", field=name)


def _check_year(year: int) -> None:
    if not 1990 <= year <= timezone.localdate().year:
        raise ValidationFailed(_("年度应在 1990 年至今年之间"), field="year")


@transaction.atomic
def create_enterprise(
    *, actor: Actor, values: Mapping[str, Any], source: str = DataSource.VERIFIED
) -> Enterprise:
    cleaned = clean_static(values)
    if not cleaned.get("uscc") or not cleaned.get("name"):
        raise ValidationFailed(_("统一社会信用代码和企业名称必填"), field="uscc")
    if Enterprise.objects.filter(uscc=cleaned["uscc"]).exists():
        raise Conflict(
            _("统一社会信用代码 %(c)s 已在企业库中") % {"c": cleaned["uscc"]}, field="uscc"
        )
    enterprise = Enterprise(**_model_values(cleaned))
    enterprise.field_sources = _sources_for({}, cleaned, source)
    enterprise.size_band = size_band(enterprise.employees, None, enterprise.industry)
    enterprise.save()
    record_change(
        actor=actor, action="create", obj=enterprise, after=snapshot(enterprise, STATIC_NAMES)
    )
    return enterprise


def _model_values(cleaned: Mapping[str, Any]) -> dict[str, Any]:
    """Blank text is stored as "", blank numbers and dates as NULL."""
    out = {}
    for name, value in cleaned.items():
        field = catalogue.BY_NAME[name]
        out[name] = "" if value is None and field.type is catalogue.FieldType.TEXT else value
    return out


def _sources_for(
    stored: Mapping[str, Any], cleaned: Mapping[str, Any], source: str
) -> dict[str, list[str]]:
    at = timezone.localtime().isoformat(timespec="seconds")
    return record_sources(stored, [n for n, v in cleaned.items() if v is not None], source, at)


@transaction.atomic
def update_enterprise(
    *, actor: Actor, enterprise: Enterprise, values: Mapping[str, Any], source: str
) -> Enterprise:
    """Update static fields. A value recorded from a more authoritative source is not
    overwritten by a less authoritative one (government data prevails over declared data)."""
    cleaned = clean_static(values)
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    if "uscc" in cleaned and cleaned["uscc"] != enterprise.uscc:
        raise ValidationFailed(_("统一社会信用代码不能修改"), field="uscc")
    merged = {n: getattr(enterprise, n) for n in STATIC_NAMES} | cleaned
    check_staff(merged)
    changed = {n: v for n, v in _model_values(cleaned).items() if getattr(enterprise, n) != v}
    for name in changed:
        recorded = source_of(enterprise.field_sources, name)
        if outranks(recorded, source):
            label = DataSource(str(recorded)).label
            raise ValidationFailed(
                _("“%(f)s”已由%(s)s确认，不能以较低来源修改；如有异议请联系园区")
                % {"f": field_label(catalogue.BY_NAME[name]), "s": label},
                field=name,
            )
    if not changed:
        return enterprise
    before = snapshot(enterprise, changed)
    for name, value in changed.items():
        setattr(enterprise, name, value)
    enterprise.field_sources = _sources_for(enterprise.field_sources, changed, source)
    _refresh_size(enterprise)
    enterprise.save()
    record_change(
        actor=actor,
        action="update",
        obj=enterprise,
        before=before,
        after=snapshot(enterprise, changed),
    )
    _queue_enterprise_changed(enterprise)
    if changed.get("landed_at") is not None:
        queue_events([event(enterprise.pk, "landed_at", changed["landed_at"])])
    return enterprise


@transaction.atomic
def assign_service(
    *, actor: Actor, enterprise: Enterprise, department: Any, commissioner: Any
) -> Enterprise:
    """Which zone department serves the enterprise, and its service commissioner."""
    from gaoxin.accounts.choices import OrganisationKind

    if department is not None and department.kind != OrganisationKind.ZONE_DEPARTMENT:
        raise ValidationFailed(_("服务部门必须是园区部门"), field="department")
    if commissioner is not None and not commissioner.is_zone_staff:
        raise ValidationFailed(_("服务专员必须是园区工作人员"), field="commissioner")
    before = snapshot(enterprise, ASSIGNMENT_FIELDS)
    enterprise.department = department
    enterprise.commissioner = commissioner
    enterprise.save(update_fields=[*ASSIGNMENT_FIELDS, "updated_at"])
    after = snapshot(enterprise, ASSIGNMENT_FIELDS)
    if after != before:
        record_change(actor=actor, action="assign", obj=enterprise, before=before, after=after)
    return enterprise


@transaction.atomic
def report_figures(
    *, actor: Actor, enterprise: Enterprise, year: int, source: str, values: Mapping[str, Any]
) -> YearlyFigures:
    """Record one source's figures for a year and rebuild the figures in force."""
    _check_year(year)
    cleaned = clean_yearly(values)
    report, created = ReportedFigures.objects.select_for_update().get_or_create(
        enterprise=enterprise, year=year, source=source
    )
    before = None if created else snapshot(report, YEARLY_NAMES)
    for name, value in cleaned.items():
        setattr(report, name, value)
    check_figures({n: getattr(report, n) for n in YEARLY_NAMES})
    report.recorded_by = actor.label[:150]
    report.save()
    after = snapshot(report, YEARLY_NAMES)
    if before != after:
        record_change(
            actor=actor,
            action="report" if created else "update",
            obj=report,
            before=before,
            after=after,
            subject=enterprise,
            note=f"{year} {DataSource(source).label}",
        )
    figures = rebuild_year(enterprise, year)
    refresh_latest(enterprise)
    _queue_enterprise_changed(enterprise)
    return figures


def rebuild_year(enterprise: Enterprise, year: int) -> YearlyFigures:
    reports = ReportedFigures.objects.filter(enterprise=enterprise, year=year)
    pairs = [(r.source, {n: getattr(r, n) for n in YEARLY_NAMES}) for r in reports]
    values, sources = merge_reports(pairs)
    figures, _ = YearlyFigures.objects.update_or_create(
        enterprise=enterprise, year=year, defaults={**values, "sources": sources}
    )
    return figures


def refresh_latest(enterprise: Enterprise) -> None:
    latest = (
        YearlyFigures.objects.filter(enterprise=enterprise, revenue__isnull=False)
        .order_by("-year")
        .values_list("year", "revenue")
        .first()
    )
    enterprise.latest_year, enterprise.latest_revenue = latest if latest else (None, None)
    _refresh_size(enterprise)
    enterprise.save(update_fields=["latest_year", "latest_revenue", "size_band", "updated_at"])


def _refresh_size(enterprise: Enterprise) -> None:
    enterprise.size_band = size_band(
        enterprise.employees, enterprise.latest_revenue, enterprise.industry
    )


@transaction.atomic
def record_qualification(
    *,
    actor: Actor,
    enterprise: Enterprise,
    kind: str,
    granted_on: dt.date,
    valid_until: dt.date | None = None,
    certificate_no: str = "",
    source: str = DataSource.VERIFIED,
    recognition: str | None = None,
) -> Qualification:
    """Record a certificate (once per enterprise, kind and grant date). `recognition`:
    首次认定 or 重新认定 when the source says so (None leaves what is on record). A new
    certificate, or a change in what it says, is an event: awards that react to it follow
    (policies.event_awards), once per certificate."""
    if kind not in {q.name for q in catalogue.QUALIFICATIONS}:
        raise ValidationFailed(_("未知资质：%(k)s") % {"k": kind}, field="kind")
    if recognition is not None and recognition not in Recognition.values:
        raise ValidationFailed(_("认定类型应为首次认定或重新认定"), field="recognition")
    valid_until = valid_until or default_expiry(kind, granted_on)
    if valid_until is not None and valid_until < granted_on:
        raise ValidationFailed(_("有效期至不能早于认定日期"), field="valid_until")
    qualification, created = Qualification.objects.get_or_create(
        enterprise=enterprise,
        kind=kind,
        granted_on=granted_on,
        defaults={
            "valid_until": valid_until,
            "certificate_no": certificate_no,
            "source": source,
            "recognition": recognition or "",
        },
    )
    fields = ("kind", "granted_on", "valid_until", "certificate_no", "source", "recognition")
    before = None if created else snapshot(qualification, fields)
    if not created:
        qualification.valid_until = valid_until
        qualification.certificate_no = certificate_no or qualification.certificate_no
        qualification.source = source
        if recognition is not None:
            qualification.recognition = recognition
        qualification.save()
    after = snapshot(qualification, fields)
    if before != after:
        record_change(
            actor=actor,
            action="qualify" if created else "update",
            obj=qualification,
            before=before,
            after=after,
            subject=enterprise,
        )
        _queue_enterprise_changed(enterprise)
        queue_events([event(enterprise.pk, kind, granted_on)])
    return qualification


def default_expiry(kind: str, granted_on: dt.date) -> dt.date | None:
    """A certificate of N years runs to the day before the N-th anniversary."""
    years = catalogue.QUALIFICATION_YEARS.get(kind)
    if years is None:
        return None
    try:
        anniversary = granted_on.replace(year=granted_on.year + years)
    except ValueError:  # 29 February
        anniversary = granted_on.replace(year=granted_on.year + years, day=28)
    return anniversary - dt.timedelta(days=1)


@transaction.atomic
def save_contact(
    *,
    actor: Actor,
    enterprise: Enterprise,
    role: str,
    name: str,
    phone: str = "",
    email: str = "",
    receives_push: bool = True,
    contact: Contact | None = None,
) -> Contact:
    fields = ("role", "name", "phone", "email", "receives_push")
    if not name.strip():
        raise ValidationFailed(_("联系人姓名必填"), field="name")
    before = snapshot(contact, fields) if contact else None
    contact = contact or Contact(enterprise=enterprise)
    contact.role, contact.name, contact.phone = role, name.strip(), phone.strip()
    contact.email, contact.receives_push = email.strip(), receives_push
    contact.full_clean(exclude=["user", "enterprise"])
    contact.save()
    record_change(
        actor=actor,
        action="contact",
        obj=contact,
        before=before,
        after=snapshot(contact, fields),
        subject=enterprise,
    )
    return contact


def _queue_enterprise_changed(enterprise: Enterprise) -> None:
    """Other capabilities (policy matching) re-evaluate one enterprise after its data changes;
    the hook runs after commit so that they read what was written."""
    from gaoxin.enterprises.signals import enterprise_changed

    pk = enterprise.pk
    transaction.on_commit(lambda: enterprise_changed.send(sender=Enterprise, enterprise_id=pk))
