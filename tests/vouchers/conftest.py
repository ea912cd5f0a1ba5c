"""A live voucher year: an approved provider with a listing, an open funded scheme, and a
quota for enterprise A."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gaoxin.core.audit import Actor
from gaoxin.supermarket.models import ProviderProfile, ServiceListing
from gaoxin.vouchers import orders, services
from gaoxin.vouchers.models import VoucherOrder, VoucherQuota, VoucherScheme
from tests.supermarket.test_supermarket import approved_provider, live_listing

PDF = b"%PDF-1.4\n% contract\n"


def contract(name: str = "服务合同.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def as_(zone: Any, role: str) -> Actor:
    return Actor.for_user(zone.users[role])


@dataclass
class VoucherYear:
    zone: Any
    scheme: VoucherScheme
    provider: ProviderProfile
    listing: ServiceListing
    quota: VoucherQuota


def open_year(
    zone: Any,
    *,
    budget_fen: int = 100_000_000,
    quota_fen: int = 30_000_000,
    **scheme_changes: Any,
) -> VoucherYear:
    admin = as_(zone, "zone_admin")
    data = services.default_scheme(timezone.localdate().year)
    for name, value in scheme_changes.items():
        setattr(data, name, value)
    scheme = services.create_scheme(actor=admin, data=data)
    services.set_status(actor=admin, scheme=scheme, status="open")
    services.fund(actor=admin, scheme=scheme, amount_fen=budget_fen)
    provider = approved_provider(zone)
    # 3,000.00 ~ 18,000.00 元 (tests.supermarket listing_data)
    listing = live_listing(zone, provider)
    quota = services.grant_quota(
        actor=admin,
        scheme=scheme,
        enterprise=zone.enterprise_a,
        amount_fen=quota_fen,
        note="测试核定",
    )
    return VoucherYear(zone, scheme, provider, listing, quota)


def place(
    year: VoucherYear,
    fee_fen: int = 1_000_000,
    role: str = "enterprise_a",
    contract_file: SimpleUploadedFile | None = None,
) -> VoucherOrder:
    """Enterprise A orders the year's listing (10,000.00 元 unless told), acting as `role`."""
    return orders.place(
        actor=as_(year.zone, role),
        enterprise=year.zone.enterprise_a,
        listing=year.listing,
        contract_fee_fen=fee_fen,
        contract_file=contract_file or contract(),
    )


@pytest.fixture
def year(zone: Any) -> VoucherYear:
    return open_year(zone)
