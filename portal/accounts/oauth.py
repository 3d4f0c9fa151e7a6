"""Sign-in through providers with authlib: OpenID Connect (any provider, GitLab) and GitHub.

Authorization code flow with PKCE (S256). State, nonce and the PKCE verifier live in the
member's own signed session, never in a shared store; a flow started earlier is forgotten
when a new one starts, so the session cookie stays small however many sign-ins are begun.
"""

import warnings
from dataclasses import dataclass
from typing import Any

with warnings.catch_warnings():
    # authlib 1.9 announces on import that it will move to the httpx2 package.
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from authlib.integrations.starlette_client import OAuth, OAuthError
from starlette.requests import Request

from portal.settings import Settings

STATE_PREFIX = "_state_"


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in."""

    subject: str
    email: str | None
    email_verified: bool
    username: str | None
    name: str | None


@dataclass(frozen=True)
class Provider:
    key: str
    label: str
    openid: bool


def configure(settings: Settings) -> tuple[OAuth, dict[str, Provider]]:
    oauth = OAuth()
    providers: dict[str, Provider] = {}
    common = {"code_challenge_method": "S256"}
    if settings.oidc_discovery_url and settings.oidc_client_id:
        oauth.register(
            "oidc",
            server_metadata_url=settings.oidc_discovery_url,
            client_id=settings.oidc_client_id,
            client_secret=str(settings.oidc_client_secret),
            client_kwargs={"scope": "openid email profile", **common},
        )
        providers["oidc"] = Provider("oidc", settings.oidc_name, openid=True)
    if settings.gitlab_client_id:
        oauth.register(
            "gitlab",
            server_metadata_url=settings.gitlab_url.rstrip("/") + "/.well-known/openid-configuration",
            client_id=settings.gitlab_client_id,
            client_secret=str(settings.gitlab_client_secret),
            client_kwargs={"scope": "openid email profile", **common},
        )
        providers["gitlab"] = Provider("gitlab", "GitLab", openid=True)
    if settings.github_client_id:
        oauth.register(
            "github",
            access_token_url="https://github.com/login/oauth/access_token",
            authorize_url="https://github.com/login/oauth/authorize",
            api_base_url="https://api.github.com/",
            client_id=settings.github_client_id,
            client_secret=str(settings.github_client_secret),
            client_kwargs={"scope": "read:user user:email", **common},
        )
        providers["github"] = Provider("github", "GitHub", openid=False)
    return oauth, providers


def forget_started_flows(request: Request) -> None:
    for key in [key for key in request.session if key.startswith(STATE_PREFIX)]:
        del request.session[key]


async def identity_from_callback(client: Any, provider: Provider, request: Request) -> Identity:
    """Finish the flow (state, PKCE and, for OpenID Connect, the ID token and nonce are checked)."""
    token = await client.authorize_access_token(request)
    if provider.openid:
        claims = token.get("userinfo") or await client.userinfo(token=token)
        return Identity(
            subject=str(claims["sub"]),
            email=(claims.get("email") or None),
            email_verified=bool(claims.get("email_verified")),
            username=claims.get("preferred_username") or claims.get("nickname"),
            name=claims.get("name"),
        )
    profile = (await client.get("user", token=token)).json()
    emails = (await client.get("user/emails", token=token)).json()
    primary = next((e for e in emails if isinstance(e, dict) and e.get("primary")), None) or {}
    return Identity(
        subject=str(profile["id"]),
        email=primary.get("email"),
        email_verified=bool(primary.get("verified")),
        username=profile.get("login"),
        name=profile.get("name"),
    )


__all__ = ["OAuthError", "Identity", "Provider", "configure", "forget_started_flows", "identity_from_callback"]
