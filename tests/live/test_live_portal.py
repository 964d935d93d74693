"""Opt-in: the client against a real Bitrix24 portal.

Set ``B24CFG_LIVE_WEBHOOK`` to an incoming-webhook URL with the ``crm`` scope (a test portal!).
The suite only reads, except for one smart process it creates and deletes again.
"""

from __future__ import annotations

import os
import uuid

import pytest

from b24cfg.portal import Batch, Client, WebhookAuth
from b24cfg.portal.errors import AppContextRequired, MethodNotFound, NotFound

LIVE = os.environ.get("B24CFG_LIVE_WEBHOOK")
pytestmark = [pytest.mark.live, pytest.mark.skipif(not LIVE, reason="B24CFG_LIVE_WEBHOOK is not set")]


@pytest.fixture(scope="module")
def client() -> Client:
    assert LIVE
    return Client(WebhookAuth(LIVE))


def test_profile_and_server_time(client: Client) -> None:
    assert client.call("profile")["ID"]
    assert isinstance(client.call("server.time"), str)


def test_error_families(client: Client) -> None:
    with pytest.raises(MethodNotFound):
        client.call("crm.nothing.here")
    with pytest.raises(NotFound):
        client.call("crm.category.get", {"entityTypeId": 2, "id": 987654})
    with pytest.raises(AppContextRequired):
        client.call("event.get")


def test_deal_stages_and_type_listing(client: Client) -> None:
    stages = client.list_all("crm.status.list", {"filter": {"ENTITY_ID": "DEAL_STAGE"}})
    assert any(s["STATUS_ID"] == "WON" for s in stages)
    types = client.list_all("crm.type.list", items=lambda r: r["types"])
    assert all("entityTypeId" in t for t in types)


def test_batch_with_reference_creates_and_deletes_a_smart_process(client: Client) -> None:
    batch = Batch()
    created = batch.add("crm.type.add", {"fields": {"title": f"b24cfg live {uuid.uuid4().hex[:6]}"}})
    batch.add("crm.category.list", {"entityTypeId": created["type"]["entityTypeId"]}, key="cats")
    result = client.batch(batch)
    try:
        assert result.ok, result.errors
        assert result["cats"]["categories"][0]["isDefault"] == "Y"
    finally:
        if created.key in result.results:
            client.call("crm.type.delete", {"id": result[created]["type"]["id"]})
