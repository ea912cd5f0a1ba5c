from django.urls import path

from gaoxin.vouchers import staff_views, views

app_name = "vouchers"

urlpatterns = [
    path("vouchers/", views.mine, name="mine"),
    path("vouchers/order/<int:listing_pk>/", views.order_form, name="order_form"),
    path("vouchers/orders/<int:pk>/", views.order_detail, name="order"),
    path("vouchers/orders/<int:pk>/contract/", views.contract, name="contract"),
    path("vouchers/orders/<int:pk>/<str:action>/", views.order_action, name="order_action"),
    path("vouchers/provider/", views.provider_orders, name="provider"),
    path("vouchers/provider/export/", views.provider_export, name="provider_export"),
    path("vouchers/manage/", staff_views.scheme, name="scheme"),
    path("vouchers/manage/scheme/", staff_views.scheme_form, name="scheme_form"),
    path("vouchers/manage/<int:pk>/<str:action>/", staff_views.scheme_action, name="scheme_action"),
    path("vouchers/review/", staff_views.order_list, name="review"),
    path("vouchers/review/export/", staff_views.order_export, name="review_export"),
    path(
        "vouchers/review/redemptions/export/",
        staff_views.redemption_export,
        name="redemption_export",
    ),
    path("vouchers/settlements/", staff_views.settlement_list, name="settlements"),
    path("vouchers/settlements/export/", staff_views.settlement_export, name="settlements_export"),
    path("vouchers/settlements/issue/", staff_views.settlement_issue, name="settlement_issue"),
    path("vouchers/settlements/<int:pk>/", staff_views.settlement_detail, name="settlement"),
    path("vouchers/settlements/<int:pk>/pay/", staff_views.settlement_pay, name="settlement_pay"),
    path(
        "vouchers/settlements/<int:pk>/statement.xlsx",
        staff_views.settlement_statement,
        name="statement",
    ),
    path("vouchers/report/", staff_views.report, name="report"),
]
