from django.urls import path

from gaoxin.enterprises import import_views, my_views, views

app_name = "enterprises"

urlpatterns = [
    path("enterprises/", views.enterprise_list, name="list"),
    path("enterprises/segments/", views.segments, name="segments"),
    path("enterprises/export/", views.export, name="export"),
    path("enterprises/new/", views.enterprise_create, name="create"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="detail"),
    path("enterprises/<int:pk>/edit/", views.enterprise_edit, name="edit"),
    path("enterprises/<int:pk>/figures/<int:year>/", views.figures_edit, name="figures"),
    path(
        "enterprises/<int:pk>/qualifications/new/",
        views.qualification_add,
        name="qualification_add",
    ),
    path("enterprises/<int:pk>/contacts/new/", views.contact_edit, name="contact_add"),
    path(
        "enterprises/<int:pk>/contacts/<int:contact_id>/", views.contact_edit, name="contact_edit"
    ),
    path("imports/", import_views.import_start, name="import"),
    path("imports/template.xlsx", import_views.import_template, name="import_template"),
    path("imports/linked/", import_views.import_linked, name="import_linked"),
    path(
        "imports/linked/<str:table>/template.xlsx",
        import_views.import_linked_template,
        name="import_linked_template",
    ),
    path("imports/<int:pk>/", import_views.import_preview, name="import_preview"),
    path("imports/<int:pk>/commit/", import_views.import_commit, name="import_commit"),
    path("imports/<int:pk>/discard/", import_views.import_discard, name="import_discard"),
    path("my/enterprise/", my_views.my_enterprise, name="mine"),
    path("my/enterprise/edit/", my_views.declare_profile, name="declare"),
    path("my/enterprise/figures/<int:year>/", my_views.declare_figures, name="declare_figures"),
    path("my/enterprise/contacts/new/", my_views.my_contact, name="my_contact_add"),
    path("my/enterprise/contacts/<int:contact_id>/", my_views.my_contact, name="my_contact_edit"),
]
