from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "gaoxin.policies"
    label = "policies"
    verbose_name = "Policies"

    def ready(self) -> None:
        from gaoxin.enterprises.signals import enterprise_changed
        from gaoxin.policies.tasks import on_enterprise_changed

        enterprise_changed.connect(on_enterprise_changed, dispatch_uid="gaoxin.policies.rematch")
