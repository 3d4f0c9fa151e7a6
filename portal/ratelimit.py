"""Rate limits: how often one address may sign in, sign up or ask for a password link, and how
often one member (or address, when signed out) may post ideas, comments, threads and replies, or
change their email address.

Counted over a moving window with the `limits` library: in this process's memory by default
(the embedded set-up runs one process), in Redis when REDIS_URL is set, so that several app
processes or machines share the counts. Votes and reactions are not limited: they toggle, and
each member has one per idea. A request over a limit is answered 429 with Retry-After, as a page
on the site and as JSON on the API, before anything is read or written.

When the storage fails (Redis down, or stopped and silent), the limits fail open: the request goes
on unlimited. A stopped Redis accepts connections and never answers, so every call is bounded
(RATE_LIMIT_TIMEOUT: the client's connect and read timeouts, and asyncio.timeout around the whole
call as a backstop); after a failure the storage is left alone for RETRY_AFTER_FAILURE seconds, so
that requests do not each wait out the bound, then tried again; the log says so once per
LOG_EVERY seconds, not once per request, and says when the counts are back.
"""

import asyncio
import ipaddress
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from limits import RateLimitItem, parse, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger("roundtable")
T = TypeVar("T")


@dataclass(frozen=True)
class Rule:
    name: str
    limit: RateLimitItem
    by_member: bool  # keyed by the signed-in member (else, and when signed out, by the address)
    message: str


SIGNIN = Rule("signin", parse("30/minute"), False, "Too many sign-in attempts from your address.")


@dataclass(frozen=True)
class FailureRule:
    """Limits that count failures only: checked before an attempt, counted after one that failed.
    Every limit holds at once (a burst limit and an hourly one add up)."""

    name: str
    limits: tuple[RateLimitItem, ...]
    message: str


# Wrong passwords, checked by the sign-in form itself (portal/accounts/routes.py): per account
# whatever the address, and per address whatever the account. OWASP ASVS 2.2.1: no more than 100
# failed attempts an hour on one account.
SIGNIN_FAILURES_ACCOUNT = FailureRule(
    "signin-failures-account",
    tuple(parse_many("10/minute;100/hour")),
    "Too many failed sign-in attempts for this account.",
)
SIGNIN_FAILURES_ADDRESS = FailureRule(
    "signin-failures-address", tuple(parse_many("100/hour")), "Too many failed sign-in attempts from your address."
)
# A member whose account reached a sign-in limit is emailed about it once in this long at most.
SIGNIN_LIMIT_NOTICE = Rule("signin-limit-notice", parse("1/hour"), True, "")
SIGNUP = Rule("signup", parse("10/hour"), False, "Too many accounts were created from your address.")
PASSWORD_LINK = Rule("password-link", parse("10/hour"), False, "Too many password links were asked for.")
POST = Rule("post", parse("30/minute"), True, "You are posting faster than a person types.")
# Each change emails two addresses and checks the current password.
EMAIL_CHANGE = Rule("email-change", parse("5/hour"), True, "Too many changes of address.")

# POSTs limited whatever the handler: (path pattern, rule).
PATHS = [
    (re.compile(r"/signin$"), SIGNIN),
    (re.compile(r"/signup$"), SIGNUP),
    (re.compile(r"/password/forgot$"), PASSWORD_LINK),
    (re.compile(r"/settings/email$"), EMAIL_CHANGE),
    (re.compile(r"/ideas/new$|/ideas/[0-9]+/comments$|/discussions/new$|/discussions/[0-9]+/replies$"), POST),
    (re.compile(r"/api/v1/ideas$|/api/v1/ideas/[0-9]+/comments$"), POST),
]


IPV6_NETWORK_BITS = 64  # the addresses one IPv6 client can use at will: counted as one
RETRY_AFTER_FAILURE = 5.0  # seconds during which a failed storage is not asked again
LOG_EVERY = 60.0  # seconds between two warnings that the storage still fails


class Limiter:
    def __init__(self, redis_url: str = "", *, enabled: bool = True, timeout: float = 0.2) -> None:
        """`timeout`: seconds a check may wait for the storage before the request goes on unlimited."""
        self.enabled = enabled
        self.timeout = timeout
        storage: Storage = (
            RedisStorage(
                redis_url,
                implementation="redispy",
                socket_connect_timeout=timeout,
                socket_timeout=timeout,
                # redis-py retries a timed-out command three times with a backoff by default,
                # which would wait several times the bound: fail at once and fail open.
                retry=Retry(NoBackoff(), 0),
            )
            if redis_url
            else MemoryStorage()
        )
        self._limiter = MovingWindowRateLimiter(storage)
        # Part of every key: a test gives its app a prefix of its own in a shared Redis.
        self.prefix = "roundtable"
        self.retry_after_failure = RETRY_AFTER_FAILURE
        self._failed_until = 0.0  # monotonic time before which the storage is not asked
        self._failing_since: float | None = None
        self._last_warning = float("-inf")

    async def _ask(self, question: Callable[[], Awaitable[T]], failed: T) -> T:
        """The storage's answer to `question`, bounded in time; `failed` when the storage fails or
        failed within RETRY_AFTER_FAILURE seconds (the limits fail open, and the log says so once)."""
        if time.monotonic() < self._failed_until:
            return failed
        try:
            async with asyncio.timeout(self.timeout * 2):  # the client's timeouts, with a margin
                answer = await question()
        except Exception as error:  # Redis down or silent: the site stays up, unlimited, and says so
            self._storage_failed(error)
            return failed
        if self._failing_since is not None:
            logger.info("rate limits counted again: their storage answers after %.0f s", self._since_failure())
            self._failing_since = None
            self._last_warning = float("-inf")
        return answer

    async def retry_after(self, rule: Rule, key: str) -> int | None:
        """Count one more for `key`; None if it is within the rule (or the storage failed), else
        the seconds to wait."""
        if not self.enabled:
            return None

        async def hit() -> int | None:
            if await self._limiter.hit(rule.limit, self.prefix, rule.name, key):
                return None
            return await self._wait(rule.limit, rule.name, key)

        return await self._ask(hit, None)

    async def _wait(self, limit: RateLimitItem, name: str, key: str) -> int:
        stats = await self._limiter.get_window_stats(limit, self.prefix, name, key)
        return max(1, int(stats.reset_time - time.time()) + 1)

    def _storage_failed(self, error: Exception) -> None:
        now = time.monotonic()
        self._failed_until = now + self.retry_after_failure
        if self._failing_since is None:
            self._failing_since = now
        if now - self._last_warning >= LOG_EVERY:
            self._last_warning = now
            logger.warning(
                "rate limits not checked: their storage failed (%s); requests go on unlimited, "
                "tried again every %.0f s, this warning at most every %.0f s",
                type(error).__name__,
                self.retry_after_failure,
                LOG_EVERY,
            )

    def _since_failure(self) -> float:
        return time.monotonic() - (self._failing_since or time.monotonic())

    async def wait_after_failures(self, rule: FailureRule, key: str) -> int | None:
        """None if `key` may try (counting nothing), else the seconds until it may."""
        if not self.enabled:
            return None

        async def test() -> int | None:
            waits = [
                await self._wait(limit, rule.name, key)
                for limit in rule.limits
                if not await self._limiter.test(limit, self.prefix, rule.name, key)
            ]
            return max(waits, default=None)

        return await self._ask(test, None)

    async def take_attempt(self, rule: FailureRule, key: str) -> int | None:
        """Count an attempt for `key` as a failure before it is judged, unless that would pass one
        of the rule's limits: None if it may go on, else the seconds until it may. Counting first
        holds the limit however many attempts arrive at once: each takes its place before any is
        judged (the storage's hit is atomic, in Redis too). One that succeeds gives its place back
        with forget_failures."""
        if not self.enabled:
            return None

        async def hit() -> int | None:
            for limit in rule.limits:
                if not await self._limiter.hit(limit, self.prefix, rule.name, key):
                    return await self._wait(limit, rule.name, key)
            return None

        return await self._ask(hit, None)

    async def count_failure(self, rule: FailureRule, key: str) -> None:
        """Count one failure for `key`."""
        if not self.enabled:
            return

        async def hit() -> None:
            for limit in rule.limits:
                await self._limiter.hit(limit, self.prefix, rule.name, key)

        await self._ask(hit, None)

    async def forget_failures(self, rule: FailureRule, key: str) -> None:
        """Start counting `key`'s failures afresh (its owner proved who they are)."""
        if not self.enabled:
            return

        async def clear() -> None:
            for limit in rule.limits:
                await self._limiter.clear(limit, self.prefix, rule.name, key)

        await self._ask(clear, None)


def too_many(rule: Rule | FailureRule, seconds: int) -> str:
    return f"{rule.message} Please wait {seconds} second{'' if seconds == 1 else 's'} and try again."


class RateLimitMiddleware:
    """Checks the rules of PATHS before the request reaches its handler."""

    def __init__(
        self, app: ASGIApp, *, limiter: Limiter, render_error: Callable[[Request, int, str], Response]
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.render_error = render_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and self.limiter.enabled:
            rule = next((rule for pattern, rule in PATHS if pattern.match(scope["path"])), None)
            if rule is not None:
                seconds = await self.limiter.retry_after(rule, _key(scope, rule))
                if seconds is not None:
                    response = self.render_error(Request(scope, receive), 429, too_many(rule, seconds))
                    response.headers["Retry-After"] = str(seconds)
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def _key(scope: Scope, rule: Rule) -> str:
    user = scope.get("user")
    if rule.by_member and user is not None and user.is_authenticated:
        return f"member:{user.id}"
    return address_key(scope)


def address_key(scope: Scope) -> str:
    """The key of the address a request came from (the client's, behind a trusted proxy). An IPv6
    address counts as its /64, the network one household or server is given: its 2^64 addresses
    are one guesser's for the taking, a new one for each try."""
    client = scope.get("client")
    if not client:
        return "address:unknown"
    try:
        ip = ipaddress.ip_address(client[0])
    except ValueError:  # not an address (a test client's name, a unix socket)
        return f"address:{client[0]}"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"address:{ip.ipv4_mapped}"
        return f"address:{ipaddress.IPv6Network((ip, IPV6_NETWORK_BITS), strict=False)}"
    return f"address:{ip}"
