"""The eight service categories of the supermarket (data, not code: zones may add more)."""

from typing import Any

from django.db import migrations

CATEGORIES = (
    ("rd", "技术研发"),
    ("testing", "检测认证"),
    ("ip", "知识产权"),
    ("simulation", "工业仿真"),
    ("smart_manufacturing", "智能制造"),
    ("finance", "金融"),
    ("training", "人才培训"),
    ("consulting", "管理咨询"),
)


def seed(apps: Any, schema_editor: Any) -> None:
    category = apps.get_model("supermarket", "ServiceCategory")
    for position, (code, name) in enumerate(CATEGORIES, start=1):
        category.objects.update_or_create(
            code=code, defaults={"name": name, "position": position}
        )


def unseed(apps: Any, schema_editor: Any) -> None:
    apps.get_model("supermarket", "ServiceCategory").objects.filter(
        code__in=[code for code, _name in CATEGORIES], listings__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("supermarket", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
