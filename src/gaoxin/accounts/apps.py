from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "gaoxin.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from gaoxin.accounts.roles import sync_builtin_roles

        # Not tied to this app's signal: the roles need every app's permissions, which exist
        # only once the last app has migrated; the sync is idempotent.
        post_migrate.connect(sync_builtin_roles, dispatch_uid="gaoxin.sync_builtin_roles")
