import os

from django.core.wsgi import get_wsgi_application
from django.db.backends.signals import connection_created

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gaoxin.settings")
application = get_wsgi_application()

from gaoxin.core.web import web_session  # noqa: E402  (after the settings are set up)

connection_created.connect(web_session, dispatch_uid="gaoxin-web-session")
