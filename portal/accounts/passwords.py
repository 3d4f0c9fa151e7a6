"""Password hashing with argon2, off the event loop (a hash takes ~0.1 s of CPU)."""

import secrets
from collections.abc import Iterable

import argon2
from argon2 import PasswordHasher
from starlette.concurrency import run_in_threadpool
from zxcvbn import matching, zxcvbn


def password_hasher(profile: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(getattr(argon2.profiles, profile))


async def hash_password(hasher: PasswordHasher, password: str) -> str:
    return await run_in_threadpool(hasher.hash, password)


async def check_password(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return hasher.verify(password_hash, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False

    return await run_in_threadpool(verify)


def needs_rehash(hasher: PasswordHasher, password_hash: str) -> bool:
    return hasher.check_needs_rehash(password_hash)


_decoys: dict[tuple[int, int, int], str] = {}


async def decoy_hash(hasher: PasswordHasher) -> str:
    """A hash to check against when there is no member, so that a wrong username
    takes as long to refuse as a wrong password and does not reveal who is a member."""
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _decoys:
        _decoys[key] = await hash_password(hasher, secrets.token_urlsafe(16))
    return _decoys[key]


# The rule for a password a member chooses (sign-up, a reset link, `roundtable users create`);
# existing hashes keep working whatever they hold. OWASP ASVS 2.1: at least 12 characters, at
# least 64 allowed, never truncated (argon2 hashes every byte, and no form sets a maxlength that
# a browser would cut a pasted password to).
PASSWORD_MIN = 12
PASSWORD_MAX = 128
# zxcvbn's scores run from 0 (guessable in under a thousand tries) to 4; 3 is "safely
# unguessable: moderate protection from an offline slow-hash scenario" (~10^10 guesses).
PASSWORD_MIN_SCORE = 3


# zxcvbn tries each way a password's symbols could stand for letters ("4" or "@" for "a", "1" for
# "i" or "l"...), each with a search of its dictionaries: a password made of such symbols has up to
# 736 ways, some 20 s of CPU for 128 characters, on the event loop. As zxcvbn-ts does (its
# l33tMaxSubstitutions), only the first few are tried; a real password has one to four. The Python
# package has no option for it, so its function is wrapped, once, here where the rule lives.
L33T_SUBSTITUTIONS_MAX = 8
_every_l33t_substitution = matching.enumerate_l33t_subs


def _first_l33t_substitutions(table: dict[str, list[str]]) -> list[dict[str, str]]:
    return _every_l33t_substitution(table)[:L33T_SUBSTITUTIONS_MAX]


matching.enumerate_l33t_subs = _first_l33t_substitutions


def password_problem(password: str, user_inputs: Iterable[str] = ()) -> str | None:
    """Why `password` may not be chosen, in words for the member; None when it may.

    `user_inputs`: the member's username, email and name, which a password must not lean on.
    """
    if len(password) < PASSWORD_MIN:
        return f"Choose a password of at least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"A password can be at most {PASSWORD_MAX} characters."
    if "\x00" in password:
        return "A password cannot contain a NUL character."
    inputs = [word for value in user_inputs if value for word in (value, *value.split("@"))]
    strength = zxcvbn(password, user_inputs=inputs, max_length=PASSWORD_MAX)
    if strength["score"] >= PASSWORD_MIN_SCORE:
        return None
    feedback = strength["feedback"]
    reasons = " ".join(part for part in [feedback["warning"], *feedback["suggestions"]] if part)
    return "That password is too easy to guess. " + (reasons or "Add another word or two. Uncommon words are better.")
