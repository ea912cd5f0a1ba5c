from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "gaoxin.notifications"
    label = "notifications"
    verbose_name = "Notifications"
