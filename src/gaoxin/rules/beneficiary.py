"""Who a policy pays (`beneficiary:`): the enterprise itself (the default), a person linked to
an enterprise (a talent, a team leader, a founder), a service provider, or whoever introduced
an investment project.

A policy for persons is evaluated once per person: its rows are persons, each with the
person's fields (catalogue.PERSON_FIELDS: degree, birth_date, settled_at, annual_salary[Y-1]…)
beside the employing enterprise's fields, so `degree == "博士" and in_zone` reads both. Only
such a policy may read a person's fields. A provider or an introducer applies with what it
declares (`delivery: apply` and `inputs`); the payout goes to it, not to an enterprise."""

from __future__ import annotations

from gaoxin import catalogue as C

from . import ast as A
from .errors import ExprError

BENEFICIARIES = {
    "enterprise": "企业",
    "person": "个人（人才）",
    "provider": "服务机构",
    "introducer": "引荐人（单位或个人）",
}
DEFAULT = "enterprise"
PERSON_KEY = "person_id"  # the key column of a persons frame (beside the employer's uscc)


def person_field_error(n: A.Node, f: C.Field, beneficiary: str) -> None:
    """A person's field read by a policy that does not pay persons."""
    if f.group is C.FieldGroup.PERSON and beneficiary != "person":
        raise ExprError(
            f"'{f.name}' ({f.alias}) is a field of a person, and this policy pays "
            f"{'an enterprise' if beneficiary == DEFAULT else 'a ' + beneficiary}",
            n.span[0],
            "write beneficiary: person to evaluate the policy for each person",
        )


def words(beneficiary: str) -> str:
    """受益对象 in plain Chinese."""
    return BENEFICIARIES.get(beneficiary, BENEFICIARIES[DEFAULT])
