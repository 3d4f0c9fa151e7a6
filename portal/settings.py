"""Every setting Roundtable reads, declared as data.

Each setting is read from the environment (or a `.env` file in the working
directory), has a default that suits a newcomer on one machine, and a line of
help. The README documents every one; a test fails when one is missing there.
"""

import os
import secrets
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


def _redis_url(value: str) -> Secret:
    """A Redis address the `limits` library can open; the message never repeats it (it may hold a password)."""
    if value:
        if not value.startswith(("redis://", "rediss://", "redis+unix://")):
            raise ValueError("expected a redis://, rediss:// or redis+unix:// address")
        try:
            urlsplit(value).port  # noqa: B018  (a port that is not a number raises here)
        except ValueError:
            raise ValueError("its port is not a number") from None
    return Secret(value)


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


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str
    cast: Callable[[str], Any] = str


SETTINGS = (
    Setting("DATA_DIR", "data", "Directory for the SQLite database and the generated secret key."),
    Setting(
        "DATABASE_URL",
        "sqlite:///<DATA_DIR>/roundtable.db",
        "Where the data lives: `sqlite:///path/to/file.db` or `postgresql://user:password@host:5432/name`.",
    ),
    Setting(
        "SECRET_KEY",
        "generated into <DATA_DIR>/secret_key",
        "Signs session cookies. Set the same value on every machine that serves the portal.",
        Secret,
    ),
    Setting("SITE_NAME", "Roundtable", "The name shown in page titles and the header."),
    Setting("SESSION_MAX_AGE", "1209600", "Seconds a sign-in lasts (default 14 days).", _positive_int),
    Setting(
        "ARGON2_PROFILE",
        "RFC_9106_LOW_MEMORY",
        "Cost of password hashing: RFC_9106_LOW_MEMORY, RFC_9106_HIGH_MEMORY, or CHEAPEST (tests only).",
        _argon2_profile,
    ),
    Setting(
        "DB_POOL_SIZE",
        "10",
        "PostgreSQL connections each worker process keeps at most.",
        _positive_int,
    ),
    Setting(
        "SQLITE_BUSY_TIMEOUT",
        "30000",
        "Milliseconds a SQLite write waits for another process's write to finish.",
        _positive_int,
    ),
    Setting(
        "SQLITE_READERS",
        "3",
        "SQLite connections each worker reads through, so that a slow read does not hold up others.",
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
        "Minutes during which authors may edit their ideas and comments (maintainers always may).",
        _positive_int,
    ),
    Setting(
        "AVATAR_MAX_BYTES",
        "262144",
        "Largest profile picture a member may upload, in bytes (PNG, JPEG or WebP).",
        _positive_int,
    ),
    Setting("PASSWORD_SIGNIN", "true", "Allow signing up and in with a password (false: providers only).", _boolean),
    Setting(
        "RATE_LIMITS",
        "true",
        "Limit how often one address signs in, signs up or asks for password links, and how often one member posts.",
        _boolean,
    ),
    Setting(
        "REDIS_URL",
        "",
        "Redis that keeps the rate-limit counts shared by several app processes: redis://host:6379/0 "
        "(empty: each process counts in its own memory).",
        _redis_url,
    ),
    Setting(
        "RATE_LIMIT_TIMEOUT",
        "200",
        "Milliseconds a rate-limit check waits for Redis; past it the request goes on unlimited (fails open).",
        _positive_int,
    ),
    Setting("OIDC_NAME", "OpenID Connect", "The name shown on the button of the OpenID Connect provider."),
    Setting("OIDC_DISCOVERY_URL", "", "Discovery URL of an OpenID Connect provider (Keycloak, Authentik, Google...)."),
    Setting("OIDC_CLIENT_ID", "", "Client id registered with that provider."),
    Setting("OIDC_CLIENT_SECRET", "", "Client secret registered with that provider.", Secret),
    Setting("GITLAB_URL", "https://gitlab.com", "GitLab to sign in with (self-hosted too); it speaks OpenID Connect."),
    Setting("GITLAB_CLIENT_ID", "", "Application id of a GitLab OAuth application (empty: no GitLab button)."),
    Setting("GITLAB_CLIENT_SECRET", "", "Secret of that GitLab application.", Secret),
    Setting("GITHUB_CLIENT_ID", "", "Client id of a GitHub OAuth app (empty: no GitHub button)."),
    Setting("GITHUB_CLIENT_SECRET", "", "Client secret of that GitHub OAuth app.", Secret),
    Setting(
        "JOBS_INTERVAL",
        "5",
        "Seconds between looks at the jobs table (emails, webhooks, syncs) in each server process; 0: never.",
        _non_negative_int,
    ),
    Setting(
        "JOBS_LEASE",
        "30",
        "Seconds a job stays claimed by a server process without news from it: a process that dies "
        "leaves its job to another one after this long.",
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
        "PUBLIC_URL",
        "http://<HOST>:<PORT>",
        "The portal's public address (e.g. https://ideas.example.org): links in webhook deliveries and emails; "
        "commit messages may cite ideas by this URL.",
        _public_url,
    ),
    Setting(
        "GIT_ALLOWED_SCHEMES",
        "https",
        "URL schemes members may link repositories with (comma-separated; add `http` only for self-hosting).",
    ),
    Setting(
        "GIT_ALLOW_LOCAL_PATHS",
        "false",
        "Let admins link repositories by local path or file:// URL (self-hosting and tests only).",
        _boolean,
    ),
    Setting("GIT_TIMEOUT", "300", "Seconds a git fetch may take before it is stopped.", _positive_int),
    Setting(
        "GIT_MAX_REPO_MB", "500", "Largest repository mirror kept, in megabytes; bigger fetches stop.", _positive_int
    ),
    Setting(
        "REPOS_SYNC_INTERVAL",
        "60",
        "Minutes between scheduled syncs of every linked repository (needs JOBS_INTERVAL); 0: never.",
        _non_negative_int,
    ),
    Setting("WEBHOOK_TIMEOUT", "5", "Seconds a webhook receiver has to connect and to answer.", _positive_int),
    Setting("SMTP_HOST", "", "SMTP server that sends email (empty: emails go to the log and the admins' outbox)."),
    Setting("SMTP_PORT", "587", "Port of that SMTP server (587 for starttls, 465 for tls).", _positive_int),
    Setting("SMTP_USERNAME", "", "User name to sign in to the SMTP server (empty: no sign-in)."),
    Setting("SMTP_PASSWORD", "", "Password to sign in to the SMTP server.", Secret),
    Setting("SMTP_TLS", "starttls", "Encryption to the SMTP server: none, starttls or tls.", _smtp_tls),
    Setting("MAIL_FROM", "Roundtable <roundtable@localhost>", "The From address of the portal's emails.", _mail_from),
    Setting("DIGEST_HOUR", "8", "Hour of the day (UTC, 0-23) at which daily digests are sent.", _hour),
    Setting("HOST", "127.0.0.1", "Address `roundtable serve` listens on."),
    Setting("PORT", "8000", "Port `roundtable serve` listens on.", _positive_int),
    Setting("WORKERS", "1", "Worker processes `roundtable serve` starts.", _positive_int),
    Setting(
        "FORWARDED_ALLOW_IPS",
        "127.0.0.1",
        "Proxies whose X-Forwarded-Proto/For headers are trusted (comma-separated, or `*`).",
    ),
    Setting("LOG_LEVEL", "info", "Log level: debug, info, warning or error."),
    Setting("DEBUG", "false", "Show tracebacks in the browser. Never in production.", _boolean),
)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: Secret
    site_name: str
    session_max_age: int
    argon2_profile: str
    db_pool_size: int
    sqlite_busy_timeout: int
    sqlite_readers: int
    max_form_bytes: int
    api_max_body_bytes: int
    edit_window_minutes: int
    avatar_max_bytes: int
    password_signin: bool
    rate_limits: bool
    redis_url: Secret
    rate_limit_timeout: int
    oidc_name: str
    oidc_discovery_url: str
    oidc_client_id: str
    oidc_client_secret: Secret
    gitlab_url: str
    gitlab_client_id: str
    gitlab_client_secret: Secret
    github_client_id: str
    github_client_secret: Secret
    jobs_interval: int
    jobs_lease: float
    jobs_heartbeat: float
    allow_private_urls: bool
    webhook_timeout: int
    public_url: str
    git_allowed_schemes: tuple[str, ...]
    git_allow_local_paths: bool
    git_timeout: int
    git_max_repo_mb: int
    repos_sync_interval: int
    smtp_host: str
    smtp_port: int
    smtp_username: str
    smtp_password: Secret
    smtp_tls: str
    mail_from: str
    digest_hour: int
    host: str
    port: int
    workers: int
    forwarded_allow_ips: str
    log_level: str
    debug: bool

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Read every setting from `environ` (default: the process environment and `.env`)."""
        if environ is None:
            config = Config(".env" if Path(".env").is_file() else None)
        else:
            config = Config(environ=dict(environ))
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            raw = config(setting.name, default=None)
            if raw is None or raw == "":
                values[setting.name] = None
                continue
            try:
                values[setting.name] = setting.cast(raw)
            except ValueError as error:
                raise SettingsError(f"{setting.name}: {error}") from None

        data_dir = Path(values["DATA_DIR"] or "data")
        database_url = values["DATABASE_URL"] or f"sqlite:///{data_dir / 'roundtable.db'}"
        if not database_url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise SettingsError(
                "DATABASE_URL: expected sqlite:///path or postgresql://..., got "
                + database_url.split(":", 1)[0]
                + ":..."
            )
        if database_url.startswith("postgres://"):
            database_url = "postgresql://" + database_url[len("postgres://") :]

        def pick(name: str) -> Any:
            if values[name] is not None:
                return values[name]
            default = next(s for s in SETTINGS if s.name == name)
            return default.cast(default.default)

        if pick("JOBS_HEARTBEAT") >= pick("JOBS_LEASE"):
            # A lease renewed less often than it lasts lapses while its job runs, and another process takes it.
            raise SettingsError(
                f"JOBS_HEARTBEAT: expected fewer seconds than JOBS_LEASE ({pick('JOBS_LEASE'):g}),"
                f" got {pick('JOBS_HEARTBEAT'):g}"
            )

        return cls(
            data_dir=data_dir,
            database_url=database_url,
            secret_key=values["SECRET_KEY"] or Secret(_stored_secret_key(data_dir)),
            site_name=pick("SITE_NAME"),
            session_max_age=pick("SESSION_MAX_AGE"),
            argon2_profile=pick("ARGON2_PROFILE"),
            db_pool_size=pick("DB_POOL_SIZE"),
            sqlite_busy_timeout=pick("SQLITE_BUSY_TIMEOUT"),
            sqlite_readers=pick("SQLITE_READERS"),
            max_form_bytes=pick("MAX_FORM_BYTES"),
            api_max_body_bytes=pick("API_MAX_BODY_BYTES"),
            edit_window_minutes=pick("EDIT_WINDOW_MINUTES"),
            avatar_max_bytes=pick("AVATAR_MAX_BYTES"),
            password_signin=pick("PASSWORD_SIGNIN"),
            rate_limits=pick("RATE_LIMITS"),
            redis_url=pick("REDIS_URL"),
            rate_limit_timeout=pick("RATE_LIMIT_TIMEOUT"),
            oidc_name=pick("OIDC_NAME"),
            oidc_discovery_url=pick("OIDC_DISCOVERY_URL"),
            oidc_client_id=pick("OIDC_CLIENT_ID"),
            oidc_client_secret=pick("OIDC_CLIENT_SECRET"),
            gitlab_url=pick("GITLAB_URL"),
            gitlab_client_id=pick("GITLAB_CLIENT_ID"),
            gitlab_client_secret=pick("GITLAB_CLIENT_SECRET"),
            github_client_id=pick("GITHUB_CLIENT_ID"),
            github_client_secret=pick("GITHUB_CLIENT_SECRET"),
            jobs_interval=pick("JOBS_INTERVAL"),
            jobs_lease=pick("JOBS_LEASE"),
            jobs_heartbeat=pick("JOBS_HEARTBEAT"),
            allow_private_urls=pick("ALLOW_PRIVATE_URLS"),
            webhook_timeout=pick("WEBHOOK_TIMEOUT"),
            git_allowed_schemes=tuple(
                name.strip().lower() for name in pick("GIT_ALLOWED_SCHEMES").split(",") if name.strip()
            ),
            git_allow_local_paths=pick("GIT_ALLOW_LOCAL_PATHS"),
            git_timeout=pick("GIT_TIMEOUT"),
            git_max_repo_mb=pick("GIT_MAX_REPO_MB"),
            repos_sync_interval=pick("REPOS_SYNC_INTERVAL"),
            public_url=values["PUBLIC_URL"] or f"http://{pick('HOST')}:{pick('PORT')}",
            smtp_host=pick("SMTP_HOST"),
            smtp_port=pick("SMTP_PORT"),
            smtp_username=pick("SMTP_USERNAME"),
            smtp_password=pick("SMTP_PASSWORD"),
            smtp_tls=pick("SMTP_TLS"),
            mail_from=pick("MAIL_FROM"),
            digest_hour=pick("DIGEST_HOUR"),
            host=pick("HOST"),
            port=pick("PORT"),
            workers=pick("WORKERS"),
            forwarded_allow_ips=pick("FORWARDED_ALLOW_IPS"),
            log_level=pick("LOG_LEVEL"),
            debug=pick("DEBUG"),
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path:
        return Path(self.database_url[len("sqlite:///") :])


def _stored_secret_key(data_dir: Path) -> str:
    """The secret key kept in the data directory, created on first use.

    Several workers on one machine read the same file; the key never appears in
    the repository or the logs. Machines that share a database must set
    SECRET_KEY themselves.
    """
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
