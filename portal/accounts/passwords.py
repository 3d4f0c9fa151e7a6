"""Password hashing with argon2, off the event loop (a hash takes ~0.1 s of CPU)."""

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
