"""Unsubscribe links: signed with SECRET_KEY, naming the member and the kind (or all email).

They never expire: RFC 8058 asks that the link in an old email keep working, and all it can
ever do is turn email off.
"""

from itsdangerous import BadSignature, URLSafeSerializer

from portal.settings import Settings

ALL = "*"


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(str(settings.secret_key), salt="roundtable.unsubscribe")


def unsubscribe_token(settings: Settings, user_id: int, kind: str | None) -> str:
    return _serializer(settings).dumps([user_id, kind or ALL])


def unsubscribe_url(settings: Settings, user_id: int, kind: str | None) -> str:
    return f"{settings.public_url}/unsubscribe/{unsubscribe_token(settings, user_id, kind)}"


def read_unsubscribe_token(settings: Settings, token: str) -> tuple[int, str | None] | None:
    """(member id, kind or None for all email), or None when the token is not one of ours."""
    try:
        value = _serializer(settings).loads(token)
    except (BadSignature, ValueError, UnicodeError):
        return None
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int) and isinstance(value[1], str)):
        return None
    user_id, kind = value
    return user_id, None if kind == ALL else kind
