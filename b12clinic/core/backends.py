"""Django's model backend, reading the signed-in user through a query compiled once.

Every request of a signed-in user reads their row (`get_user`): building that query through
the ORM cost about as much as the rest of a not-found page's reads. Signing in, permissions
and the inactive-user rule are Django's own.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User

from .prepared import CompiledQuery, StandIn

_USER = CompiledQuery(User, lambda pk: User.objects.filter(pk=pk), pk=StandIn.int32(1))


class SignInBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        if not 0 < pk < 2**31:  # no such row, and out of the column's range
            return None
        found = _USER.objects(pk=pk)
        if len(found) != 1:
            return None
        user: User = found[0]
        return user if self.user_can_authenticate(user) else None
