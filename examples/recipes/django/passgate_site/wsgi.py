"""WSGI entry point (gunicorn passgate_site.wsgi)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "passgate_site.settings")
application = get_wsgi_application()
