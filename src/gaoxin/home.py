"""The home page of each role. It sits above the apps because it gathers what each of them
has for the user who signs in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from gaoxin.enterprises import selectors
from gaoxin.enterprises.dashboard import dashboard


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.is_enterprise_user:
        return redirect("enterprises:mine")
    if user.is_zone_staff and user.has_perm("enterprises.view_enterprise"):
        context = dashboard(selectors.visible_to(user))
        return render(request, "home_staff.html", context)
    return render(request, "home_other.html", {"organisation": user.organisation})
