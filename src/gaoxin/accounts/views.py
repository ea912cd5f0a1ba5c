from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from gaoxin.accounts import exporting, services
from gaoxin.core.audit import Actor
from gaoxin.core.errors import DomainError
from gaoxin.core.exporting import export_response, wants_csv
from gaoxin.core.web import paginate, permission_required


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordForm(forms.Form):
    old_password = forms.CharField(label=_("原密码"), strip=False, widget=forms.PasswordInput)
    new_password = forms.CharField(
        label=_("新密码"),
        strip=False,
        widget=forms.PasswordInput,
        help_text=_("至少 8 位，不能全是数字，不能与用户名相近"),
    )
    new_password2 = forms.CharField(
        label=_("再次输入新密码"), strip=False, widget=forms.PasswordInput
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("两次输入的新密码不一致"))
        return data


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.sign_in(
                request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
            status = exc.status
        else:
            login(request, user, backend="gaoxin.accounts.backends.RoleBackend")
            target = request.POST.get("next") or request.GET.get("next") or ""
            if not url_has_allowed_host_and_scheme(
                target, {request.get_host()}, require_https=request.is_secure()
            ):
                target = ""
            return redirect(target or "home")
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=status,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


@login_required
def password_view(request: HttpRequest) -> HttpResponse:
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(
                actor=Actor.of(request),
                user=request.user,  # type: ignore
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            update_session_auth_hash(request, request.user)  # type: ignore[arg-type]
            messages.success(request, _("密码已修改"))
            return redirect("home")
    return render(request, "accounts/password.html", {"form": form})


@permission_required("accounts.view_loginlog")
def login_log(request: HttpRequest) -> HttpResponse:
    logs, q = exporting.login_entries(request.GET)
    return render(request, "system/logins.html", {"page": paginate(request, logs), "q": q})


@permission_required("accounts.view_loginlog")
def login_export(request: HttpRequest) -> HttpResponse:
    logs, _q = exporting.login_entries(request.GET)
    return export_response(exporting.LOGINS, logs.iterator(), as_csv=wants_csv(request))
