"""Fixtures for targeted push: contacts of both enterprises, a local HTTP receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from gaoxin.enterprises.models import Contact


@pytest.fixture
def contacts(zone: Any) -> dict[str, Contact]:
    """Enterprise A: a legal representative with the account ent_a, a finance head with an
    e-mail and no account, a plain contact. Enterprise B: a legal representative on ent_b."""
    a, b = zone.enterprise_a, zone.enterprise_b
    return {
        "legal_a": Contact.objects.create(
            enterprise=a,
            role="legal_rep",
            name="王法人",
            email="wang@a.example",
            user=zone.users["enterprise_a"],
        ),
        "finance_a": Contact.objects.create(
            enterprise=a, role="finance_head", name="李财务", email="li@a.example"
        ),
        "contact_a": Contact.objects.create(
            enterprise=a, role="contact", name="赵联系", email="zhao@a.example"
        ),
        "legal_b": Contact.objects.create(
            enterprise=b,
            role="legal_rep",
            name="陈法人",
            email="chen@b.example",
            user=zone.users["enterprise_b"],
        ),
    }


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: records each POST and answers with `status`/`reply`."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    reply: dict[str, Any] = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            rec = state["r"]
            rec.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers),
                    "raw": raw,
                    "json": json.loads(raw.decode()),
                }
            )
            body = json.dumps(rec.reply).encode()
            self.send_response(rec.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["r"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/robot/send?key=k1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["r"]
    finally:
        server.shutdown()
        server.server_close()
