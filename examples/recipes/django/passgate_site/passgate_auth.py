"""Django trusts the user passgate signed in.

passgate removes every X-Passgate-* header a client sends and sets its own for a
signed-in user, so behind passgate (and only there: Django must not be reachable any
other way) X-Passgate-User names the user.

- PassgateUserMiddleware reads X-Passgate-User (request.META key HTTP_X_PASSGATE_USER).
  Django's RemoteUserMiddleware creates the user on first sign-in (through
  RemoteUserBackend), logs them in, logs them out when the header is gone or names
  someone else.
- On every request it also copies the email and the admin flags from passgate:
  is_staff when X-Passgate-Groups holds one of PASSGATE_STAFF_GROUPS, is_superuser for
  PASSGATE_SUPERUSER_GROUPS. A user taken out of the group loses the admin with passgate's
  next token (at most [session] token_ttl later), not at the end of Django's session.
"""

from django.conf import settings
from django.contrib.auth.middleware import RemoteUserMiddleware


def passgate_groups(request):
    raw = request.META.get("HTTP_X_PASSGATE_GROUPS", "")
    return {g.strip() for g in raw.split(",") if g.strip()}


def follow_passgate(user, request):
    """Sets the user's email and admin flags from passgate's headers (saved when changed)."""
    groups = passgate_groups(request)
    wanted = {
        "email": request.META.get("HTTP_X_PASSGATE_EMAIL", ""),
        "is_staff": bool(groups & set(settings.PASSGATE_STAFF_GROUPS)),
        "is_superuser": bool(groups & set(settings.PASSGATE_SUPERUSER_GROUPS)),
    }
    changed = [k for k, v in wanted.items() if getattr(user, k) != v]
    if changed:
        for k in changed:
            setattr(user, k, wanted[k])
        user.save(update_fields=changed)


class PassgateUserMiddleware(RemoteUserMiddleware):
    header = "HTTP_X_PASSGATE_USER"

    def process_request(self, request):
        super().process_request(request)
        if request.user.is_authenticated and self.header in request.META:
            follow_passgate(request.user, request)
