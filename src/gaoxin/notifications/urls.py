from django.urls import path

from gaoxin.notifications import views

app_name = "notifications"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.inbox_detail, name="inbox_detail"),
    path("notifications/deliveries/", views.delivery_log, name="deliveries"),
    path("notifications/deliveries/<int:pk>/retry/", views.delivery_retry, name="delivery_retry"),
    path("notifications/webhooks/", views.webhook_list, name="webhooks"),
    path("notifications/webhooks/new/", views.webhook_edit, name="webhook_add"),
    path("notifications/webhooks/<int:pk>/", views.webhook_edit, name="webhook_edit"),
]
