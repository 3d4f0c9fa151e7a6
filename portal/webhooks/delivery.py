"""Sending a delivery: the signed JSON body, a connection pinned to the addresses checked, the log.

The URL is checked again at every attempt (check_public_url), and the connection goes to the
addresses that check resolved, never to a second DNS answer: a host that resolves to a public
address at the check and to 127.0.0.1 a moment later (DNS rebinding) still reaches the public
one. TLS still verifies the certificate for the URL's host name (SNI), and the Host header is
the URL's.
"""

import asyncio
import hashlib
import hmac
import json
import logging
import ssl
import time
from typing import Any

import httpcore

from portal.jobs.runner import JobContext, PermanentFailure
from portal.netguard import UnsafeURL, check_public_url
from portal.settings import Settings
from portal.webhooks import queries

logger = logging.getLogger("roundtable.webhooks")

SIGNATURE_HEADER = "X-Roundtable-Signature"
USER_AGENT = "Roundtable-Webhooks/1"


class DeliveryFailed(Exception):
    """The receiver did not take the delivery (non-2xx, timeout, connection error); retried later."""


def _with_urls(value: Any, base_url: str) -> Any:
    """The object with each `path` (a portal page) turned into a full `url`."""
    if isinstance(value, list):
        return [_with_urls(item, base_url) for item in value]
    if not isinstance(value, dict):
        return value
    shown = {key: _with_urls(item, base_url) for key, item in value.items() if key != "path"}
    if isinstance(value.get("path"), str):
        shown["url"] = base_url.rstrip("/") + value["path"]
    return shown


def body_of(delivery: Any, base_url: str) -> bytes:
    document = {
        "event": delivery["event"],
        "id": delivery["event_id"],
        "occurred_at": delivery["occurred_at"].isoformat(timespec="seconds"),
        "data": _with_urls(delivery["data"], base_url),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: HMAC-SHA256 of `timestamp.body` with the webhook's secret."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects to the checked addresses whatever host name httpcore asks for."""

    def __init__(self, addresses: tuple[str, ...]) -> None:
        self._addresses = addresses
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        failure: Exception = httpcore.ConnectError(f"{host} has no address to connect to")
        for address in self._addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        raise failure

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise httpcore.ConnectError("webhooks are sent over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def allowed_schemes(settings: Settings) -> tuple[str, ...]:
    """https only; plain http also when private URLs are allowed (a receiver on the same machine)."""
    return ("https", "http") if settings.allow_private_urls else ("https",)


async def post(url: str, body: bytes, headers: dict[str, str], settings: Settings) -> int:
    """POST `body` to `url` once; the response's status code. Raises UnsafeURL or DeliveryFailed."""
    checked = await check_public_url(url, schemes=allowed_schemes(settings), allow_private=settings.allow_private_urls)
    default_port = 443 if checked.scheme == "https" else 80
    host = checked.host if ":" not in checked.host else f"[{checked.host.strip('[]')}]"
    host_header = host if checked.port == default_port else f"{host}:{checked.port}"
    timeout = settings.webhook_timeout
    pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl.create_default_context(), network_backend=PinnedBackend(checked.addresses), retries=0
    )
    request_headers = [
        ("Host", host_header),
        ("User-Agent", USER_AGENT),
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        *headers.items(),
    ]
    try:
        async with pool:
            # The whole exchange has a deadline too: a receiver trickling bytes cannot hold a worker.
            async with asyncio.timeout(timeout * 2):
                async with pool.stream(
                    "POST",
                    checked.url,
                    headers=request_headers,
                    content=body,
                    extensions={"timeout": {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}},
                ) as response:
                    return response.status
    except TimeoutError:
        raise DeliveryFailed(f"no answer within {timeout * 2} seconds") from None
    except httpcore.TimeoutException:
        raise DeliveryFailed(f"no answer within {timeout} seconds") from None
    except (httpcore.NetworkError, httpcore.ProtocolError, OSError) as error:
        raise DeliveryFailed(f"could not connect: {type(error).__name__}: {error}") from None
    except httpcore.UnsupportedProtocol as error:
        raise DeliveryFailed(str(error)) from None


async def deliver(context: JobContext, payload: dict[str, Any]) -> None:
    """One attempt at one delivery; failures are logged on the delivery and retried by the job runner."""
    db, settings = context.db, context.settings
    delivery = await queries.delivery_to_send(db, payload["delivery_id"])
    if delivery is None:
        return  # the webhook was deleted meanwhile: nothing to send, nowhere to log it
    if not delivery["is_active"]:
        await queries.record_attempt(
            db,
            delivery_id=delivery["id"],
            attempt=delivery["attempts"] + 1,
            attempted_at=context.now,
            status_code=None,
            error="not sent: the webhook is paused",
            duration_ms=0,
            succeeded=False,
        )
        return
    body = body_of(delivery, settings.public_url)
    timestamp = int(context.now.timestamp())
    headers = {
        SIGNATURE_HEADER: sign(delivery["secret"], timestamp, body),
        "X-Roundtable-Event": delivery["event"],
        "X-Roundtable-Delivery": delivery["event_id"],
    }
    started = time.monotonic()
    status_code, error, permanent = None, None, False
    try:
        status_code = await post(delivery["url"], body, headers, settings)
    except UnsafeURL as refused:
        error, permanent = f"refused: {refused}", True
    except DeliveryFailed as failed:
        error = str(failed)
    succeeded = status_code is not None and 200 <= status_code < 300
    if status_code is not None and not succeeded:
        error = f"the receiver answered {status_code}"
    await queries.record_attempt(
        db,
        delivery_id=delivery["id"],
        attempt=delivery["attempts"] + 1,
        attempted_at=context.now,
        status_code=status_code,
        error=error,
        duration_ms=round((time.monotonic() - started) * 1000),
        succeeded=succeeded,
    )
    if permanent:
        raise PermanentFailure(error)
    if not succeeded:
        raise DeliveryFailed(error)
