"""Every setting Roundtable reads, each declared once, as data.

A setting is read from the environment (or a `.env` file in the working directory) and has a
default that suits a newcomer on one machine. Its one declaration in SETTINGS (name, default,
meaning, how its text is read, secret or not) gives everything else: the parser
(Settings.from_environ), the attribute callers read (DATABASE_URL: `settings.database_url`, of the
type its reader returns) and the table of README.md's "Configuration" section, which a test
compares with readme_table().
"""

import dataclasses
import os
import secrets
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.config import Config
from starlette.datastructures import Secret


class SettingsError(Exception):
    """A setting has a value Roundtable cannot use."""


def _boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(f"expected a positive whole number, got {value!r}")
    return number


def _positive_seconds(value: str) -> float:
    number = float(value)
    if not number > 0 or number == float("inf"):
        raise ValueError(f"expected a positive number of seconds, got {value!r}")
    return number


def _non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"expected 0 or a positive whole number, got {value!r}")
    return number


SMTP_TLS_MODES = ("none", "starttls", "tls")


def _smtp_tls(value: str) -> str:
    if value not in SMTP_TLS_MODES:
        raise ValueError(f"expected one of {', '.join(SMTP_TLS_MODES)}, got {value!r}")
    return value


def _redis_url(value: str) -> str:
    """A Redis address the `limits` library can open; the message never repeats it (it may hold a password)."""
    if value:
        if not value.startswith(("redis://", "rediss://", "redis+unix://")):
            raise ValueError("expected a redis://, rediss:// or redis+unix:// address")
        try:
            urlsplit(value).port  # noqa: B018  (a port that is not a number raises here)
        except ValueError:
            raise ValueError("its port is not a number") from None
    return value


def _hour(value: str) -> int:
    number = int(value)
    if not 0 <= number <= 23:
        raise ValueError(f"expected an hour from 0 to 23, got {value!r}")
    return number


def _public_url(value: str) -> str:
    if not value.startswith(("http://", "https://")) or "?" in value or "#" in value:
        raise ValueError(f"expected an address like https://ideas.example.org, got {value!r}")
    return value.rstrip("/")


def _mail_from(value: str) -> str:
    name, address = parseaddr(value)
    if "@" not in address:
        raise ValueError(f"expected an address like Roundtable <ideas@example.org>, got {value!r}")
    return str(Address(display_name=name, addr_spec=address))


ARGON2_PROFILES = ("RFC_9106_LOW_MEMORY", "RFC_9106_HIGH_MEMORY", "CHEAPEST")


def _argon2_profile(value: str) -> str:
    if value not in ARGON2_PROFILES:
        raise ValueError(f"expected one of {', '.join(ARGON2_PROFILES)}, got {value!r}")
    return value


def _names(value: str) -> tuple[str, ...]:
    """A comma-separated list, in lower case."""
    return tuple(name.strip().lower() for name in value.split(",") if name.strip())


def _database_url(value: str) -> str:
    if not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
        raise ValueError("expected sqlite:///path or postgresql://..., got " + value.split(":", 1)[0] + ":...")
    if value.startswith("postgres://"):
        return "postgresql://" + value[len("postgres://") :]
    return value


# The defaults that follow from other settings (their `default` says how, for the README).


def _stored_secret_key(values: Mapping[str, Any]) -> str:
    """The secret key kept in the data directory, created on first use.

    Several workers on one machine read the same file; the key never appears in
    the repository or the logs. Machines that share a database must set
    SECRET_KEY themselves.
    """
    data_dir = values["DATA_DIR"]
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another worker wrote it first
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _database_in_data_dir(values: Mapping[str, Any]) -> str:
    return f"sqlite:///{values['DATA_DIR'] / 'roundtable.db'}"


def _address_served(values: Mapping[str, Any]) -> str:
    return f"http://{values['HOST']}:{values['PORT']}"


@dataclass(frozen=True)
class Setting:
    """One setting: `name` in the environment, `default` as it would be written there (or, with
    `derive`, how the default follows from other settings), `meaning` as README.md shows it,
    `read` what turns the text into the value (raising ValueError for a value it refuses), and
    `secret` a value kept in a starlette Secret (never shown in a repr or a log)."""

    name: str
    default: str
    meaning: str
    read: Callable[[str], Any] = str
    secret: bool = False
    derive: Callable[[Mapping[str, Any]], Any] | None = None

    @property
    def attribute(self) -> str:
        return self.name.lower()

    @property
    def type(self) -> Any:
        if self.secret:
            return Secret
        return self.read if isinstance(self.read, type) else typing.get_type_hints(self.read)["return"]

    def value(self, raw: str | None, values: Mapping[str, Any]) -> Any:
        """The value from the environment's text (None or empty: the default); `values`: the
        settings read before this one."""
        if not raw:
            if self.derive is not None:
                derived = self.derive(values)
                return Secret(derived) if self.secret else derived
            raw = self.default
        try:
            value = self.read(raw)
        except ValueError as error:
            raise SettingsError(f"{self.name}: {error}") from None
        return Secret(value) if self.secret else value


SETTINGS = (
    Setting("DATA_DIR", "data", "Directory for the SQLite database and the generated secret key.", Path),
    Setting(
        "DATABASE_URL",
        "sqlite:///<DATA_DIR>/roundtable.db",
        "`sqlite:///path/to/file.db` or `postgresql://user:password@host:5432/name`.",
        _database_url,
        derive=_database_in_data_dir,
    ),
    Setting(
        "SECRET_KEY",
        "generated into <DATA_DIR>/secret_key",
        "Signs session cookies. Set the same value on every machine that serves the portal.",
        secret=True,
        derive=_stored_secret_key,
    ),
    Setting("SITE_NAME", "Roundtable", "The name shown in page titles and the header."),
    Setting("SESSION_MAX_AGE", "1209600", "Seconds a sign-in lasts (14 days).", _positive_int),
    Setting(
        "ARGON2_PROFILE",
        "RFC_9106_LOW_MEMORY",
        "Cost of password hashing: `RFC_9106_LOW_MEMORY`, `RFC_9106_HIGH_MEMORY`, or `CHEAPEST` (tests only).",
        _argon2_profile,
    ),
    Setting("DB_POOL_SIZE", "10", "PostgreSQL connections each worker process keeps at most.", _positive_int),
    Setting(
        "SQLITE_BUSY_TIMEOUT",
        "30000",
        "Milliseconds a SQLite write waits for another process's write to finish.",
        _positive_int,
    ),
    Setting(
        "SQLITE_READERS",
        "3",
        "SQLite connections each worker reads through (each with its own thread), so that a slow read does "
        "not hold up others.",
        _positive_int,
    ),
    Setting(
        "MAX_FORM_BYTES",
        "1000000",
        "Largest form body accepted, in bytes; larger requests get a 413 page.",
        _positive_int,
    ),
    Setting(
        "API_MAX_BODY_BYTES",
        "262144",
        "Largest JSON body the API accepts, in bytes; larger requests get a 413 JSON error.",
        _positive_int,
    ),
    Setting(
        "EDIT_WINDOW_MINUTES",
        "60",
        "Minutes during which authors may edit their ideas and comments; maintainers always may, and leave a "
        "visible trace.",
        _positive_int,
    ),
    Setting(
        "AVATAR_MAX_BYTES",
        "262144",
        "Largest profile picture a member may upload, in bytes (PNG, JPEG or WebP; checked by content, never "
        "SVG). Keep it below `MAX_FORM_BYTES`.",
        _positive_int,
    ),
    Setting(
        "PASSWORD_SIGNIN",
        "true",
        "Allow signing up and in with a password; `false` leaves only the providers below.",
        _boolean,
    ),
    Setting(
        "RATE_LIMITS",
        "true",
        "Limit, over a moving window: sign-in tries to 30 a minute per address; wrong passwords to 10 a "
        "minute and 100 an hour per account (its member is emailed, at most once an hour, when it is paused; "
        "the right password starts its count afresh) and 100 an hour per address; sign-ups and password links"
        " to 10 an hour per address, new ideas, comments, threads and replies (site and API) to 30 a minute "
        "per member, changes of address to 5 an hour per member. An IPv6 address counts as its /64 network. "
        "Over a limit the answer is 429 with `Retry-After`; votes and reactions are not limited.",
        _boolean,
    ),
    Setting(
        "REDIS_URL",
        "",
        "Redis that keeps the rate-limit counts, shared by every app process and machine: "
        "`redis://host:6379/0`. Unset: each process counts in its own memory (enough for one process; with "
        "several, each allows the limit).",
        _redis_url,
        secret=True,
    ),
    Setting(
        "RATE_LIMIT_TIMEOUT",
        "200",
        "Milliseconds a rate-limit check waits for Redis (to connect, and to answer). Past it, or when Redis "
        "is down, the request goes on unlimited (the limits fail open); Redis is then left alone for 5 s "
        "before it is tried again, and the log warns at most once a minute and says when the counts are back.",
        _positive_int,
    ),
    Setting("OIDC_NAME", "OpenID Connect", "The name on the button of the OpenID Connect provider."),
    Setting(
        "OIDC_DISCOVERY_URL",
        "",
        "Discovery URL of an OpenID Connect provider (Keycloak, Authentik, Google...): "
        "`https://id.example.org/.well-known/openid-configuration`.",
    ),
    Setting("OIDC_CLIENT_ID", "", "Client id registered with that provider."),
    Setting("OIDC_CLIENT_SECRET", "", "Client secret registered with that provider.", secret=True),
    Setting(
        "GITLAB_URL",
        "https://gitlab.com",
        "The GitLab to sign in with (self-hosted too); it is used through OpenID Connect.",
    ),
    Setting(
        "GITLAB_CLIENT_ID",
        "",
        "Application id of a GitLab application with the `openid email profile` scopes; unset: no GitLab button.",
    ),
    Setting("GITLAB_CLIENT_SECRET", "", "Secret of that application.", secret=True),
    Setting("GITHUB_CLIENT_ID", "", "Client id of a GitHub OAuth app; unset: no GitHub button."),
    Setting("GITHUB_CLIENT_SECRET", "", "Client secret of that app.", secret=True),
    Setting(
        "JOBS_INTERVAL",
        "5",
        "Seconds between looks at the jobs table (emails, webhooks, syncs) in each server process; 0: never.",
        _non_negative_int,
    ),
    Setting(
        "JOBS_LEASE",
        "30",
        "Seconds a job stays claimed by a server process without news from it: a process that dies leaves its"
        " job to another one after this long.",
        _positive_seconds,
    ),
    Setting(
        "JOBS_HEARTBEAT",
        "10",
        "Seconds between renewals of the lease on a running job; less than JOBS_LEASE (a third of it or less).",
        _positive_seconds,
    ),
    Setting(
        "ALLOW_PRIVATE_URLS",
        "false",
        "Let the server fetch URLs on loopback and private networks (self-hosting and tests only).",
        _boolean,
    ),
    Setting(
        "WEBHOOK_TIMEOUT",
        "5",
        "Seconds a webhook receiver has to connect and to answer (the whole exchange: twice that).",
        _positive_int,
    ),
    Setting(
        "PUBLIC_URL",
        "http://<HOST>:<PORT>",
        "The portal's public address (e.g. `https://ideas.example.org`): links in webhook deliveries and "
        "emails; commit messages may cite ideas by this URL.",
        _public_url,
        derive=_address_served,
    ),
    Setting(
        "GIT_ALLOWED_SCHEMES",
        "https",
        "URL schemes members may link repositories with (comma-separated; add `http` only for self-hosting).",
        _names,
    ),
    Setting(
        "GIT_ALLOW_LOCAL_PATHS",
        "false",
        "Let admins link repositories by local path or file:// URL (self-hosting and tests only).",
        _boolean,
    ),
    Setting("GIT_TIMEOUT", "300", "Seconds a git fetch may take before it is stopped.", _positive_int),
    Setting(
        "GIT_MAX_REPO_MB",
        "500",
        "Largest repository mirror kept, in megabytes; bigger fetches stop.",
        _positive_int,
    ),
    Setting(
        "REPOS_SYNC_INTERVAL",
        "60",
        "Minutes between scheduled syncs of every linked repository (needs JOBS_INTERVAL); 0: never.",
        _non_negative_int,
    ),
    Setting(
        "SMTP_HOST",
        "",
        "SMTP server that sends email. Unset: every email is written to the log and kept in the outbox admins"
        " see at `/admin/outbox`.",
    ),
    Setting("SMTP_PORT", "587", "Port of that SMTP server (587 for `starttls`, 465 for `tls`).", _positive_int),
    Setting("SMTP_USERNAME", "", "User name to sign in to the SMTP server; unset: no sign-in."),
    Setting("SMTP_PASSWORD", "", "Password to sign in to the SMTP server (never logged).", secret=True),
    Setting("SMTP_TLS", "starttls", "Encryption to the SMTP server: `none`, `starttls` or `tls`.", _smtp_tls),
    Setting("MAIL_FROM", "Roundtable <roundtable@localhost>", "The From address of the portal's emails.", _mail_from),
    Setting("DIGEST_HOUR", "8", "Hour of the day (UTC, 0-23) at which daily digests are sent.", _hour),
    Setting("HOST", "127.0.0.1", "Address `roundtable serve` listens on."),
    Setting("PORT", "8000", "Port `roundtable serve` listens on.", _positive_int),
    Setting("WORKERS", "1", "Worker processes `roundtable serve` starts.", _positive_int),
    Setting(
        "FORWARDED_ALLOW_IPS",
        "127.0.0.1",
        "Proxies whose `X-Forwarded-Proto`/`X-Forwarded-For` headers are trusted (comma-separated, or `*`).",
    ),
    Setting("LOG_LEVEL", "info", "`debug`, `info`, `warning` or `error`."),
    Setting("DEBUG", "false", "Show tracebacks in the browser. Never in production.", _boolean),
)


def readme_table() -> str:
    """The table of README.md's "Configuration" section."""
    lines = ["| Setting | Default | Meaning |", "| --- | --- | --- |"]
    for setting in SETTINGS:
        lines.append(f"| `{setting.name}` | `{setting.default or '(unset)'}` | {setting.meaning} |")
    return "\n".join(lines)


def _check(values: Mapping[str, Any]) -> None:
    """What no setting can check alone."""
    if values["JOBS_HEARTBEAT"] >= values["JOBS_LEASE"]:
        # A lease renewed less often than it lasts lapses while its job runs, and another process takes it.
        raise SettingsError(
            f"JOBS_HEARTBEAT: expected fewer seconds than JOBS_LEASE ({values['JOBS_LEASE']:g}),"
            f" got {values['JOBS_HEARTBEAT']:g}"
        )


class _Reading:
    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Read every setting from `environ` (default: the process environment and `.env`)."""
        if environ is None:
            config = Config(".env" if Path(".env").is_file() else None)
        else:
            config = Config(environ=dict(environ))
        values: dict[str, Any] = {}
        # Those derived from others after the rest (and their checks), whatever their place in the table.
        for derived in (False, True):
            for setting in SETTINGS:
                if (setting.derive is not None) is derived:
                    values[setting.name] = setting.value(config(setting.name, default=None), values)
            if not derived:
                _check(values)
        return cls(**{setting.attribute: values[setting.name] for setting in SETTINGS})

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path:
        return Path(self.database_url[len("sqlite:///") :])


# A frozen dataclass with one attribute per setting, its name in lower case.
Settings = dataclasses.make_dataclass(
    "Settings",
    [(setting.attribute, setting.type) for setting in SETTINGS],
    bases=(_Reading,),
    frozen=True,
)
Settings.__module__ = __name__
