from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "gaoxin.ledger"
    label = "ledger"
    verbose_name = "Ledger"
