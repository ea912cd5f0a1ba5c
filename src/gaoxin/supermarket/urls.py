from django.urls import path

from gaoxin.supermarket import views

app_name = "supermarket"

urlpatterns = [
    path("supermarket/", views.catalogue, name="list"),
    path("supermarket/<int:pk>/", views.listing_detail, name="detail"),
    path("supermarket/mine/", views.mine, name="mine"),
    path("supermarket/mine/profile/", views.profile_edit, name="profile"),
    path("supermarket/mine/new/", views.listing_create, name="create"),
    path("supermarket/mine/<int:pk>/edit/", views.listing_edit, name="edit"),
    path("supermarket/mine/<int:pk>/<str:step>/", views.listing_step, name="step"),
    path("supermarket/review/", views.review, name="review"),
    path("supermarket/review/providers/export/", views.provider_export, name="provider_export"),
    path("supermarket/review/listing/<int:pk>/", views.review_listing, name="review_listing"),
    path("supermarket/review/provider/<int:pk>/", views.review_provider, name="review_provider"),
    path("supermarket/providers/<int:pk>/", views.provider_detail, name="provider"),
]
