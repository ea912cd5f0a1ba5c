from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import QuerySet


class RoleBackend(ModelBackend):
    """Django's model backend, with the permissions of the user's roles counted as group
    permissions. An inactive organisation's users cannot sign in."""

    def _get_group_permissions(self, user_obj: Any) -> QuerySet[Permission]:
        return Permission.objects.filter(role__users=user_obj)

    def user_can_authenticate(self, user: Any) -> bool:
        if not super().user_can_authenticate(user):
            return False
        organisation = getattr(user, "organisation", None)
        return organisation is None or organisation.is_active
