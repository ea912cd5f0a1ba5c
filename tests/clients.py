"""Test clients signed in as one role of the `zone` fixture."""

from __future__ import annotations

from typing import Any

from django.test import Client


def client_for(zone: Any, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(zone.users[role])
    return client


def post_json(client: Client, path: str, data: Any = None) -> Any:
    if data is None:
        return client.post(path)
    return client.post(path, data, content_type="application/json")
