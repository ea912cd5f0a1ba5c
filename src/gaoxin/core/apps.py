from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gaoxin.core"
    label = "core"
    verbose_name = "Core"
