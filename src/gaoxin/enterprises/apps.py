from django.apps import AppConfig


class EnterprisesConfig(AppConfig):
    name = "gaoxin.enterprises"
    label = "enterprises"
    verbose_name = "Enterprise registry"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from gaoxin.enterprises.models import Enterprise, Qualification, YearlyFigures

        # The registry's cached figures (the staff home page) follow every save through the
        # services; bulk writes (imports, the demo) say so themselves. No post_delete receiver:
        # it would stop the registry's cascades from deleting in bulk (the demo's reset says
        # so itself; other deletes are bounded by the figures' expiry).
        for model in (Enterprise, YearlyFigures, Qualification):
            post_save.connect(
                _registry_changed, sender=model, dispatch_uid=f"registry-{model.__name__}"
            )


def _registry_changed(**kwargs: object) -> None:
    from gaoxin.core import cached

    cached.changed(cached.REGISTRY)
