"""Sign-in through providers with authlib: OpenID Connect (any provider, GitLab) and GitHub.

Authorization code flow with PKCE (S256). State, nonce and the PKCE verifier live in the
member's own signed session, never in a shared store; a flow started earlier is forgotten
when a new one starts, so the session cookie stays small however many sign-ins are begun.
"""

import logging
import warnings
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError

with warnings.catch_warnings():
    # authlib 1.9 announces on import that it will move to the httpx2 package.
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from authlib.integrations.base_client import MismatchingStateError
    from authlib.integrations.starlette_client import OAuth, OAuthError
from starlette.requests import Request
from starlette.responses import Response

from portal.accounts.forms import EMAIL
from portal.forms import clean_value
from portal.settings import Settings

STATE_PREFIX = "_state_"
logger = logging.getLogger("roundtable.accounts")


class SignInRefused(Exception):
    """A provider sign-in that cannot be completed; the message is for the member, in their words.

    400 when the answer cannot be trusted or belongs to no sign-in started here, 502 when the
    provider cannot be reached or answers something that is not OAuth.
    """

    def __init__(self, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


# What a provider may put in `error=` (RFC 6749 4.1.2.1, OpenID Connect Core 3.1.2.6), in our words;
# anything else it (or whoever made the link) writes there is not shown.
_DECLINED = {
    "access_denied": "you chose not to let it sign you in here",
    "login_required": "you need to sign in there first",
    "interaction_required": "you need to sign in there first",
    "consent_required": "you need to agree there first",
    "account_selection_required": "you need to choose an account there first",
    "temporarily_unavailable": "it is not available just now; try again in a few minutes",
    "server_error": "it is not available just now; try again in a few minutes",
}
_METADATA_NEEDED = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
# authlib verifies an ID token with whatever algorithms discovery lists, and discovery may list
# `none` (an unsigned token would pass) and HS256 (a MAC keyed with the client secret, not with a
# key the provider publishes). Only these signatures, made with a published key, are accepted.
_SIGNATURE_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


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


async def start_sign_in(client: Any, provider: Provider, request: Request, redirect_uri: str) -> Response:
    """The redirect to the provider, or SignInRefused when the provider cannot be asked."""
    try:
        if provider.openid:
            await _openid_metadata(client, provider)
        return await client.authorize_redirect(request, redirect_uri)
    except SignInRefused:
        raise
    except Exception as error:
        raise _provider_failure(provider, error) from error


async def identity_from_callback(client: Any, provider: Provider, request: Request) -> Identity:
    """Finish the flow: state, PKCE and, for OpenID Connect, the ID token (signature, issuer,
    audience, expiry, nonce) are checked. Anything that does not hold raises SignInRefused."""
    error = request.query_params.get("error")
    if error:
        reason = _DECLINED.get(error, "it refused")
        raise SignInRefused(f"{provider.label} did not sign you in: {reason}.")
    try:
        if provider.openid:
            return await _openid_identity(client, provider, request)
        return await _github_identity(client, provider, request)
    except SignInRefused:
        raise
    except MismatchingStateError:
        raise SignInRefused(
            "This sign-in was not started in this browser, or was started too long ago or in another "
            "tab that finished first. Please start again."
        ) from None
    except ExpiredTokenError:
        raise SignInRefused(
            f"The answer from {provider.label} had expired by the time it reached us. Please sign in again."
        ) from None
    except ClaimError as failure:
        raise _untrusted_claim(provider, failure) from None
    except JoseError:
        logger.warning("%s sign-in refused: an ID token with a bad signature or shape", provider.key, exc_info=True)
        raise SignInRefused(
            f"We cannot trust the answer {provider.label} sent: it could not be read, or it was not signed "
            f"by {provider.label} with a key it publishes. Please start again; if this keeps happening, "
            "tell the people who run this site."
        ) from None
    except OAuthError as failure:  # the token endpoint said no (a code used already, or expired)
        logger.warning("%s sign-in refused by the provider: %s", provider.key, failure.error)
        raise SignInRefused(
            f"{provider.label} did not accept this sign-in: it may have taken too long, or the page was "
            "reloaded. Please start again."
        ) from None
    except Exception as failure:
        # Whatever else the provider's answers break (HTTP errors, JSON that is not the shape
        # asked for) is the provider's failure, not a 500; the log keeps the traceback.
        raise _provider_failure(provider, failure) from failure


async def _openid_metadata(client: Any, provider: Provider) -> dict[str, Any]:
    metadata = await client.load_server_metadata()
    missing = [name for name in _METADATA_NEEDED if not isinstance(metadata.get(name), str)]
    if missing:
        logger.warning("%s discovery document lacks %s", provider.key, ", ".join(missing))
        client.server_metadata.pop("_loaded_at", None)  # authlib keeps what it loaded: ask again next time
        raise SignInRefused(_not_understood(provider), 502)
    listed = metadata.get("id_token_signing_alg_values_supported")
    listed = listed if isinstance(listed, list) else []
    # An empty list makes authlib ask for RS256, the algorithm every provider must support.
    metadata["id_token_signing_alg_values_supported"] = [alg for alg in _SIGNATURE_ALGORITHMS if alg in listed]
    return metadata


async def _openid_identity(client: Any, provider: Provider, request: Request) -> Identity:
    metadata = await _openid_metadata(client, provider)
    # authlib checks the issuer only, and the audience not at all: both are OpenID Connect's
    # musts (Core 3.1.3.7), so they are asked for here.
    claims_options = {
        "iss": {"essential": True, "value": metadata["issuer"]},
        "aud": {"essential": True, "value": client.client_id},
    }
    token = await client.authorize_access_token(request, claims_options=claims_options)
    claims = token.get("userinfo")
    if not claims:  # no ID token: nothing vouches for who signed in
        logger.warning("%s answered the code without an ID token", provider.key)
        raise SignInRefused(_not_understood(provider), 502)
    return Identity(
        subject=_subject(provider, claims["sub"]),
        email=_address(claims.get("email")),
        email_verified=_vouched(claims.get("email_verified")),
        username=_text(claims.get("preferred_username")) or _text(claims.get("nickname")),
        name=_text(claims.get("name")),
    )


async def _github_identity(client: Any, provider: Provider, request: Request) -> Identity:
    token = await client.authorize_access_token(request)
    profile = (await client.get("user", token=token)).raise_for_status().json()
    emails = (await client.get("user/emails", token=token)).raise_for_status().json()
    primary = next((e for e in emails if isinstance(e, dict) and e.get("primary")), None) or {}
    return Identity(
        subject=_subject(provider, profile["id"]),
        email=_address(primary.get("email")),
        email_verified=_vouched(primary.get("verified")),
        username=_text(profile.get("login")),
        name=_text(profile.get("name")),
    )


# oauth_accounts.subject holds 255 characters, as many as OpenID Connect allows a subject.
MAX_SUBJECT_LENGTH = 255


def _subject(provider: Provider, value: Any) -> str:
    """The provider's id for the member, exactly as sent: one that cannot be stored as it is (too
    long, NUL, half a character) cannot be trusted to find the same member next time."""
    subject = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not subject or len(subject) > MAX_SUBJECT_LENGTH or clean_value(subject) != subject:
        logger.warning("%s sent a subject that cannot be stored: %r", provider.key, value)
        raise SignInRefused(_not_understood(provider), 502)
    return subject


def _address(value: Any) -> str | None:
    """The address the provider sent, if it is one the portal would accept from a member; cleaning
    it would make it an address the provider did not vouch for, so it is then no address at all."""
    if not isinstance(value, str) or clean_value(value) != value:
        return None
    address = value.strip().lower()
    return address if len(address) <= 254 and EMAIL.match(address) else None


def _text(value: Any) -> str | None:
    """A name, without what no database holds (NUL, half a character)."""
    return (clean_value(value).strip() or None) if isinstance(value, str) else None


def _vouched(value: Any) -> bool:
    # Some providers send the string "true" (and bool("false") would be True).
    return value is True or value == "true"


def _untrusted_claim(provider: Provider, failure: ClaimError) -> SignInRefused:
    logger.warning("%s sign-in refused: ID token claim %s", provider.key, failure)
    claim = failure.claim
    if claim == "iss":
        reason = f"it did not come from {provider.label}"
    elif claim in ("aud", "azp"):
        reason = "it was meant for another site"
    elif claim == "nonce":
        reason = "it belongs to another sign-in than the one you started here (in another tab, perhaps)"
    else:
        reason = "it could not be read"
    return SignInRefused(f"We cannot trust the answer {provider.label} sent: {reason}. Please start again.")


def _not_understood(provider: Provider) -> str:
    return f"{provider.label} gave an answer we could not understand, so you are not signed in. Please try again later."


def _provider_failure(provider: Provider, failure: Exception) -> SignInRefused:
    """What the provider did wrong, for the log; what it means, for the member."""
    unreachable = isinstance(failure, httpx.TransportError)
    logger.warning("%s sign-in failed: %r", provider.key, failure, exc_info=not unreachable)
    if unreachable:
        return SignInRefused(
            f"{provider.label} could not be reached just now, so you are not signed in. Please try again "
            "in a few minutes.",
            502,
        )
    return SignInRefused(_not_understood(provider), 502)


__all__ = [
    "Identity",
    "Provider",
    "SignInRefused",
    "configure",
    "forget_started_flows",
    "identity_from_callback",
    "start_sign_in",
]
