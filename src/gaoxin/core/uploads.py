"""Uploaded documents: the type is what the file starts with, not only what its name says."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from gaoxin.core.errors import ValidationFailed

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# A renamed executable is refused: each extension must start with its format's signature.
SIGNATURES = {
    ".pdf": (b"%PDF",),
    ".png": (b"\x89PNG",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
}


def check_document(
    upload: UploadedFile,
    *,
    field: str,
    allowed: Iterable[str] = tuple(SIGNATURES),
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> None:
    """ValidationFailed on `field` unless the upload is one of the `allowed` types, within
    `max_bytes`, and its content matches its extension."""
    allowed = tuple(allowed)
    suffix = Path(upload.name or "").suffix.lower()
    if suffix not in allowed:
        kinds = _("、").join(s[1:].upper() for s in allowed if s != ".jpeg")
        raise ValidationFailed(
            _("文件“%(n)s”类型不支持：请上传 %(k)s 文件") % {"n": upload.name, "k": kinds},
            field=field,
        )
    if upload.size is None or upload.size > max_bytes:
        raise ValidationFailed(
            _("文件“%(n)s”超过 %(m)s MB") % {"n": upload.name, "m": max_bytes // (1024 * 1024)},
            field=field,
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(s) for s in SIGNATURES[suffix]):
        raise ValidationFailed(
            _("文件“%(n)s”的内容与扩展名不符，请上传真实的 %(t)s 文件")
            % {"n": upload.name, "t": suffix[1:].upper()},
            field=field,
        )
