from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def ensure_categories(**signal_arguments: Any) -> None:
    """The eight categories, again after every migrate or flush (seeded by migration 0002)."""
    from gaoxin.supermarket.choices import CATEGORIES
    from gaoxin.supermarket.models import ServiceCategory

    if ServiceCategory.objects.count() >= len(CATEGORIES):
        return
    for position, (code, name) in enumerate(CATEGORIES, start=1):
        ServiceCategory.objects.get_or_create(
            code=code, defaults={"name": name, "position": position}
        )


class SupermarketConfig(AppConfig):
    name = "gaoxin.supermarket"
    label = "supermarket"
    verbose_name = "Supermarket"

    def ready(self) -> None:
        post_migrate.connect(
            ensure_categories, sender=self, dispatch_uid="gaoxin.supermarket.categories"
        )
