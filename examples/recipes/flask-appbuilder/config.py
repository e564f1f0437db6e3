"""Flask-AppBuilder behind passgate: REMOTE_USER authentication from X-Passgate-User.

Environment: FAB_SECRET_KEY (required), FAB_DATABASE_URI (default sqlite:///app.db here).
"""

import os

from flask_appbuilder.const import AUTH_REMOTE_USER

SECRET_KEY = os.environ["FAB_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = os.environ.get("FAB_DATABASE_URI", "sqlite:///app.db")
APP_NAME = "Flask-AppBuilder behind passgate"

AUTH_TYPE = AUTH_REMOTE_USER
# The WSGI environ key of passgate's header (X-Passgate-User). passgate removes every
# client copy of it, spellings with "_" included, before the request reaches the app.
AUTH_REMOTE_USER_ENV_VAR = "HTTP_X_PASSGATE_USER"
# A user seen for the first time is created, with this role unless a group maps to others.
AUTH_USER_REGISTRATION = True
AUTH_USER_REGISTRATION_ROLE = "Public"
# passgate groups (X-Passgate-Groups) to FAB roles, applied whenever the groups change.
AUTH_ROLES_MAPPING = {"admins": ["Admin"]}
AUTH_ROLES_SYNC_AT_LOGIN = True
