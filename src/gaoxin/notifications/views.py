"""Pages of targeted push: the inbox of every signed-in user, and for zone staff the delivery
log and the webhook endpoints."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gaoxin.core.audit import Actor
from gaoxin.core.errors import DomainError, NotFound
from gaoxin.core.exporting import export_response, wants_csv
from gaoxin.core.web import paginate, permission_required
from gaoxin.notifications import exporting, selectors, services
from gaoxin.notifications.choices import Channel, DeliveryStatus
from gaoxin.notifications.forms import WebhookForm
from gaoxin.notifications.models import WebhookEndpoint

VIEW_DELIVERY = "notifications.view_delivery"
RETRY_DELIVERY = "notifications.retry_delivery"
MANAGE_WEBHOOKS = "notifications.manage_webhooks"


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    items = selectors.inbox_for(request.user).select_related("enterprise")
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        items = selectors.unread(items, request.user)
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": paginate(request, items.order_by("-created_at", "-id")),
            "unread_only": unread_only,
        },
    )


@login_required
def inbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = selectors.get_inbox_message(request.user, pk)
    services.mark_read(user=request.user, message=message)
    return render(request, "notifications/inbox_detail.html", {"message": message})


def _delivery_filters(request: HttpRequest) -> dict[str, str]:
    channel = request.GET.get("channel") or ""
    status = request.GET.get("status") or ""
    return {
        "channel": channel if channel in Channel.values else "",
        "status": status if status in DeliveryStatus.values else "",
        "q": (request.GET.get("q") or "").strip()[:100],
    }


@permission_required(VIEW_DELIVERY)
def delivery_log(request: HttpRequest) -> HttpResponse:
    f = _delivery_filters(request)
    deliveries = selectors.deliveries_visible_to(request.user)
    if f["channel"]:
        deliveries = deliveries.filter(channel=f["channel"])
    if f["status"]:
        deliveries = deliveries.filter(status=f["status"])
    if f["q"]:
        deliveries = deliveries.filter(
            Q(message__enterprise__name__icontains=f["q"]) | Q(message__title__icontains=f["q"])
        )
    deliveries = deliveries.order_by("-created_at", "-id")
    if request.GET.get("format") in ("xlsx", "csv"):
        rows = deliveries.select_related("message__enterprise", "contact", "user", "endpoint")
        return export_response(
            exporting.DELIVERIES, rows.iterator(chunk_size=2000), as_csv=wants_csv(request)
        )
    page = paginate(
        request,
        deliveries.select_related("message__enterprise", "contact", "user", "endpoint"),
    )
    for d in page.object_list:
        d.recipient = exporting.recipient_label(d)
    return render(
        request,
        "notifications/deliveries.html",
        {
            "page": page,
            "f": f,
            "channels": Channel.choices,
            "statuses": DeliveryStatus.choices,
            "export_query": request.GET.urlencode(),
            "may_retry": request.user.has_perm(RETRY_DELIVERY),
        },
    )


@require_POST
@permission_required(RETRY_DELIVERY)
def delivery_retry(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.deliveries_visible_to(request.user).filter(pk=pk).first()
    if delivery is None:
        raise NotFound(_("没有找到这条推送记录，或您无权查看"))
    try:
        services.retry_delivery(actor=Actor.of(request), delivery=delivery)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("已安排重新发送"))
    return redirect("notifications:deliveries")


@permission_required(MANAGE_WEBHOOKS)
def webhook_list(request: HttpRequest) -> HttpResponse:
    endpoints = WebhookEndpoint.objects.order_by("name", "id")
    return render(request, "notifications/webhooks.html", {"endpoints": endpoints})


@permission_required(MANAGE_WEBHOOKS)
def webhook_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    endpoint = None
    if pk is not None:
        endpoint = WebhookEndpoint.objects.filter(pk=pk).first()
        if endpoint is None:
            raise NotFound(_("没有找到这个推送渠道"))
    initial: dict[str, Any] | None = (
        {k: getattr(endpoint, k) for k in ("name", "kind", "url", "active")} if endpoint else None
    )
    form = WebhookForm(request.POST or None, initial=initial)
    if endpoint is not None:
        form.fields["secret"].help_text = _("已设置密钥时留空表示保持原密钥。")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        secret = data["secret"] or (None if endpoint is not None else "")
        try:
            services.save_webhook(
                actor=Actor.of(request),
                endpoint=endpoint,
                name=data["name"],
                url=data["url"],
                kind=data["kind"],
                active=data["active"],
                secret=secret,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("已保存推送渠道"))
            return redirect("notifications:webhooks")
    return render(request, "notifications/webhook_form.html", {"form": form, "endpoint": endpoint})
