from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from gaoxin.accounts import views as accounts_views
from gaoxin.api import api
from gaoxin.core import views as core_views
from gaoxin.home import home

system_patterns = (
    [
        path("audit/", core_views.audit_log, name="audit"),
        path("audit/export/", core_views.audit_export, name="audit_export"),
        path("logins/", accounts_views.login_log, name="logins"),
        path("logins/export/", accounts_views.login_export, name="logins_export"),
    ],
    "system",
)

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("gaoxin.accounts.urls")),
    path("system/", include(system_patterns)),
    # Browsers and the API docs ask for /favicon.ico; pages link the hashed static file.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("gaoxin/favicon.ico"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/", api.urls),
    path("", include("gaoxin.enterprises.urls")),
    path("", include("gaoxin.notifications.urls")),
    path("", include("gaoxin.policies.urls")),
    path("", include("gaoxin.supermarket.urls")),
    path("", include("gaoxin.vouchers.urls")),
]

handler400 = "gaoxin.core.views.bad_request"
handler403 = "gaoxin.core.views.permission_denied"
handler404 = "gaoxin.core.views.page_not_found"
handler500 = "gaoxin.core.views.server_error"
