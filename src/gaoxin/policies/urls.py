from django.urls import path

from gaoxin.policies import (
    application_views,
    drafting_views,
    form_views,
    my_views,
    payout_views,
    version_views,
    views,
)

app_name = "policies"

urlpatterns = [
    path("policies/", views.policy_list, name="list"),
    path("policies/new/", views.policy_create, name="create"),
    path("policies/new/form/", form_views.form_create, name="form_create"),
    path("policies/form/preview/", form_views.form_preview, name="form_preview"),
    path("policies/form/run-tests/", form_views.form_run_tests, name="form_run_tests"),
    path("policies/draft/", drafting_views.draft_from_text, name="draft"),
    path("policies/export/", views.policy_export, name="list_export"),
    path("policies/library/", views.policy_library, name="library"),
    path("policies/library/import/", views.policy_import, name="import"),
    path("policies/check/", views.policy_check, name="check"),
    path("policies/run-tests/", views.policy_run_tests, name="run_tests"),
    path("policies/<int:pk>/", views.policy_detail, name="detail"),
    path("policies/<int:pk>/edit/", views.policy_edit, name="edit"),
    path("policies/<int:pk>/form/", form_views.form_edit, name="form_edit"),
    path("policies/<int:pk>/publish/", views.policy_publish, name="publish"),
    path("policies/<int:pk>/expire/", views.policy_expire, name="expire"),
    path(
        "policies/<int:pk>/versions/<int:version_id>/",
        version_views.version_detail,
        name="version",
    ),
    path(
        "policies/<int:pk>/versions/<int:version_id>/publish/",
        version_views.version_publish,
        name="version_publish",
    ),
    path(
        "policies/<int:pk>/versions/<int:version_id>/<str:move>/",
        version_views.version_move,
        name="version_move",
    ),
    path("policies/<int:pk>/matches.xlsx", views.match_export, name="export"),
    path("my/policies/", my_views.my_policies, name="mine"),
    path("policies/<int:pk>/payouts/", payout_views.policy_payouts, name="payouts"),
    path("policies/<int:pk>/payouts/export/", payout_views.payouts_export, name="payouts_export"),
    path("policies/<int:pk>/payouts/fund/", payout_views.payouts_fund, name="payouts_fund"),
    path(
        "policies/<int:pk>/payouts/identify/",
        payout_views.payouts_identify,
        name="payouts_identify",
    ),
    path("policies/<int:pk>/payouts/batch/", payout_views.payouts_batch, name="payouts_batch"),
    path(
        "policies/<int:pk>/payouts/<int:payout_id>/verify/",
        payout_views.payout_verify,
        name="payout_verify",
    ),
    path(
        "policies/<int:pk>/payouts/<int:payout_id>/decide/",
        payout_views.payout_decide,
        name="payout_decide",
    ),
    path(
        "policies/<int:pk>/batches/<int:batch_id>/<str:action>/",
        payout_views.batch_action,
        name="batch_action",
    ),
    path("my/payouts/", payout_views.my_payouts, name="my_payouts"),
    path(
        "my/payouts/<int:payout_id>/confirm/",
        payout_views.my_payout_confirm,
        name="my_payout_confirm",
    ),
    path("notices/", payout_views.public_notice, name="notice"),
    path("my/policies/<int:policy_id>/apply/", application_views.apply, name="apply"),
    path("my/applications/", application_views.my_applications, name="my_applications"),
    path("applications/", application_views.review_queue, name="applications"),
    path("applications/export/", application_views.review_export, name="applications_export"),
    path("applications/<int:pk>/", application_views.review_detail, name="application"),
    path(
        "applications/<int:pk>/decide/", application_views.review_decide, name="application_decide"
    ),
    path("attachments/<int:pk>/", application_views.attachment, name="attachment"),
    path("payouts/report/", payout_views.payout_report, name="report"),
]
