"""How the API reads a request before any schema sees it, and how a refusal is worded.

Every text that arrives — a query parameter, a form field, any string anywhere in a JSON body —
is checked once here for what no database column can hold (NUL, unpaired surrogates), so that
no endpoint has to remember to. Pydantic's refusals are put in the active language."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja.parser import Parser

from gaoxin.core.errors import DomainError, ValidationFailed
from gaoxin.core.schema_fields import bad_text

_MAX_DEPTH = 64  # JSON nested deeper than this is refused, not walked


def _check(value: Any, where: str, depth: int = 0) -> None:
    if depth > _MAX_DEPTH:
        raise DomainError(_("JSON 嵌套过深，请检查格式"), field=where or None)
    if isinstance(value, str):
        if (why := bad_text(value)) is not None:
            raise ValidationFailed(why, field=where)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, where, depth + 1)
            _check(item, f"{where}.{key}" if where else str(key), depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, where, depth + 1)


class CheckedParser(Parser):
    """Ninja's JSON parser, refusing text no column can store (see module docstring)."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            data = json.loads(request.body)
        except RecursionError:
            raise DomainError(_("JSON 嵌套过深，请检查格式")) from None
        _check(data, "")
        return data

    def parse_querydict(
        self, data: MultiValueDict, list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        for key, values in data.lists():
            for value in values:
                if isinstance(value, str):
                    _check(value, key)
        return super().parse_querydict(data, list_fields, request)


_MESSAGES = {
    "missing": lambda c: _("必须填写"),
    "extra_forbidden": lambda c: _("没有这个字段，请检查拼写"),
    "int_parsing": lambda c: _("应为整数"),
    "int_type": lambda c: _("应为整数"),
    "int_from_float": lambda c: _("应为整数"),
    "float_parsing": lambda c: _("应为数字"),
    "float_type": lambda c: _("应为数字"),
    "decimal_parsing": lambda c: _("应为数字，如 1234.56"),
    "decimal_type": lambda c: _("应为数字，如 1234.56"),
    "finite_number": lambda c: _("应为有限的数字"),
    "less_than_equal": lambda c: _("不能大于 %(v)s") % {"v": c.get("le")},
    "less_than": lambda c: _("应小于 %(v)s") % {"v": c.get("lt")},
    "greater_than_equal": lambda c: _("不能小于 %(v)s") % {"v": c.get("ge")},
    "greater_than": lambda c: _("应大于 %(v)s") % {"v": c.get("gt")},
    "string_too_long": lambda c: _("最多 %(n)s 个字") % {"n": c.get("max_length")},
    "string_too_short": lambda c: _("至少 %(n)s 个字") % {"n": c.get("min_length")},
    "string_type": lambda c: _("应为文字"),
    "literal_error": lambda c: _("应为以下之一：%(v)s") % {"v": c.get("expected")},
    "enum": lambda c: _("应为以下之一：%(v)s") % {"v": c.get("expected")},
    "bool_parsing": lambda c: _("应为 true 或 false"),
    "bool_type": lambda c: _("应为 true 或 false"),
    "date_parsing": lambda c: _("应为日期，如 2024-06-30"),
    "date_from_datetime_parsing": lambda c: _("应为日期，如 2024-06-30"),
    "date_type": lambda c: _("应为日期，如 2024-06-30"),
    "model_type": lambda c: _("应为 JSON 对象"),
    "model_attributes_type": lambda c: _("应为 JSON 对象"),
    "dict_type": lambda c: _("应为 JSON 对象"),
    "list_type": lambda c: _("应为列表"),
    "json_invalid": lambda c: _("不是有效的 JSON"),
    "invalid_input": lambda c: str(c.get("reason", "")),
    "invalid_text": lambda c: str(c.get("reason", "")),
    "value_error": lambda c: str(c.get("error", "")),
}
_WRAPPERS = {"body", "query", "path", "payload", "params", "form", "file", "header", "cookie"}


def validation_message(error: dict[str, Any]) -> dict[str, str]:
    """One pydantic refusal as {field, message, type}: the message in the active language."""
    field = ".".join(str(p) for p in error.get("loc", ()) if p not in _WRAPPERS)
    kind = str(error.get("type", ""))
    wording = _MESSAGES.get(kind)
    message = wording(error.get("ctx") or {}) if wording else ""
    return {"field": field, "message": message or _("取值无效"), "type": kind}
