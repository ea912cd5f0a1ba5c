"""The form fields every page uses for numbers and text, so that any input is either a value
that fits its column or a field error in the active language (never a server error).

Numbers are read by `gaoxin.core.numbers` exactly as the API and the import read them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gaoxin.core import numbers


class _NumberField(forms.CharField):
    """Text in, a number out; `parse` raises NumberError with the message to show."""

    def parse(self, text: str) -> Any:
        raise NotImplementedError

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if text is None or text in self.empty_values:
            return None
        try:
            return self.parse(text)
        except numbers.NumberError as exc:
            raise ValidationError(str(exc), code="invalid") from None


class MoneyField(_NumberField):
    """An amount in 元 (`12345.67`, `5000万`, `5,000万元`, `1.2亿`): a Decimal with two places,
    or integer fen with `fen=True`."""

    def __init__(self, *, fen: bool = False, negative: bool = False, **kwargs: Any) -> None:
        self.fen, self.negative = fen, negative
        kwargs.setdefault("help_text", _("可写 12000、500万、1.2亿"))
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def parse(self, text: str) -> Decimal | int:
        if self.fen:
            return numbers.parse_fen(text)
        return numbers.parse_money(text, negative=self.negative)


class PercentField(_NumberField):
    """A rate typed as a percentage (`35` or `35%`), cleaned to the ratio (0.35)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def parse(self, text: str) -> Decimal:
        return numbers.parse_percent(text)


class IntField(_NumberField):
    """A whole number between `minimum` and `maximum` (both required: every column has one)."""

    def __init__(self, *, minimum: int, maximum: int, **kwargs: Any) -> None:
        self.minimum, self.maximum = minimum, maximum
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric"}))
        super().__init__(**kwargs)

    def parse(self, text: str) -> int:
        return numbers.parse_int(text, minimum=self.minimum, maximum=self.maximum)


class TextField(forms.CharField):
    """Text that fits its column: `max_length` is required; NUL is refused (Django's CharField
    does so already) and so are unpaired surrogates, which no database can store."""

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, **kwargs)

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if isinstance(text, str) and not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise ValidationError(_("含有无法识别的字符，请重新输入"), code="invalid") from None
        return text


def posted_fen(data: Any, name: str) -> int:
    """For a view that reads a posted amount by hand: the yuan typed in field `name` (read as
    MoneyField reads it) as integer fen; ValidationFailed naming the field otherwise."""
    from gaoxin.core.errors import ValidationFailed

    text = str(data.get(name, "") or "")
    if not text.strip():
        raise ValidationFailed(_("请填写金额"), field=name)
    try:
        return numbers.parse_fen(text)
    except numbers.NumberError as exc:
        raise ValidationFailed(str(exc), field=name) from None
