from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "gaoxin.policies"
    label = "policies"
    verbose_name = "Policies"

    def ready(self) -> None:
        from gaoxin import catalogue
        from gaoxin.enterprises.people import READERS
        from gaoxin.enterprises.signals import enterprise_changed, events_recorded
        from gaoxin.policies.history import payout_rows
        from gaoxin.policies.tasks import on_enterprise_changed, on_events_recorded

        # What each enterprise already received, read with the item tables (rules: received())
        READERS[catalogue.PAYOUT_HISTORY.name] = payout_rows

        enterprise_changed.connect(on_enterprise_changed, dispatch_uid="gaoxin.policies.rematch")
        events_recorded.connect(on_events_recorded, dispatch_uid="gaoxin.policies.event_awards")
