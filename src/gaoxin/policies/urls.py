from django.urls import path

from gaoxin.policies import my_views, views

app_name = "policies"

urlpatterns = [
    path("policies/", views.policy_list, name="list"),
    path("policies/new/", views.policy_create, name="create"),
    path("policies/check/", views.policy_check, name="check"),
    path("policies/run-tests/", views.policy_run_tests, name="run_tests"),
    path("policies/<int:pk>/", views.policy_detail, name="detail"),
    path("policies/<int:pk>/edit/", views.policy_edit, name="edit"),
    path("policies/<int:pk>/publish/", views.policy_publish, name="publish"),
    path("policies/<int:pk>/expire/", views.policy_expire, name="expire"),
    path("policies/<int:pk>/matches.xlsx", views.match_export, name="export"),
    path("my/policies/", my_views.my_policies, name="mine"),
]
