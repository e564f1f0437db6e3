"""A Flask-AppBuilder app that follows passgate on every request.

FAB's own AUTH_REMOTE_USER reads the header once, on /login/, and then trusts its session
cookie: signing out of passgate, or another passgate user on the same browser, would not
change who FAB thinks is signed in. PassgateSecurityManager reads the header on every
request instead: it logs the session's user out when passgate names someone else or no
one, logs passgate's user in (creating them on first sight, as FAB does), and, whenever
passgate's groups or email change, applies AUTH_ROLES_MAPPING to X-Passgate-Groups and
copies X-Passgate-Email.
"""

from flask import Flask, g, request, session
from flask_appbuilder import AppBuilder
from flask_appbuilder.models.sqla.base import SQLA
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_login import current_user, login_user, logout_user

SEEN_KEY = "passgate_seen"


class PassgateSecurityManager(SecurityManager):
    def before_request(self):
        username = request.environ.get(self.auth_remote_user_env_var)
        seen = [request.headers.get(h, "") for h in ("X-Passgate-Groups", "X-Passgate-Email")]
        if current_user.is_authenticated and current_user.username != username:
            logout_user()
            session.pop(SEEN_KEY, None)
        if username and not current_user.is_authenticated:
            user = self.auth_user_remote_user(username)
            if user is not None:
                login_user(user)
        if current_user.is_authenticated and session.get(SEEN_KEY) != seen:
            self.follow_passgate(current_user, *seen)
            session[SEEN_KEY] = seen
        g.user = current_user

    def follow_passgate(self, user, groups, email):
        if email:
            user.email = email
        if self.auth_roles_sync_at_login:
            keys = [k.strip() for k in groups.split(",") if k.strip()]
            roles = self.get_roles_from_keys(keys) or {
                self.find_role(self.auth_user_registration_role)
            }
            user.roles = list(roles)
        self.update_user(user)


app = Flask(__name__)
app.config.from_object("config")
db = SQLA(app)
with app.app_context():
    appbuilder = AppBuilder(app, db.session, security_manager_class=PassgateSecurityManager)
