from django.apps import AppConfig


class VouchersConfig(AppConfig):
    name = "gaoxin.vouchers"
    label = "vouchers"
    verbose_name = "Vouchers"
