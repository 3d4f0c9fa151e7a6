"""Password hashing with argon2, off the event loop (a hash takes ~0.1 s of CPU)."""

import secrets

import argon2
from argon2 import PasswordHasher
from starlette.concurrency import run_in_threadpool


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
