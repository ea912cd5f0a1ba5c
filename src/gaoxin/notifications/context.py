"""Template context for every page: the number of unread messages in the user's inbox."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from gaoxin.notifications.selectors import unread_count


def inbox(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_count": 0}
    return {"unread_count": unread_count(user)}
