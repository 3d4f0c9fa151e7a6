"""Sign-up and sign-in input, checked field by field."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.datastructures import FormData

from portal.accounts.passwords import password_problem
from portal.db import utcnow
from portal.forms import Form

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_-]{2,31}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_signup(formdata: FormData) -> Form:
    form = Form.from_formdata(formdata)
    username = form.text("username", label="Username", max_length=32).lower()
    form.data["username"] = username
    if username and "username" not in form.errors and not USERNAME.match(username):
        form.error(
            "username",
            "Use 3 to 32 letters, digits, '-' or '_', starting with a letter or digit.",
        )
    _email(form)
    display_name = form.text("display_name", label="Display name", required=False, max_length=80)
    form.data["display_name"] = display_name or username
    _password(form, "password", [username, form.data["email"], display_name])
    return form


def parse_signin(formdata: FormData) -> Form:
    form = Form.from_formdata(formdata)
    form.text("login", label="Username or email", max_length=254)
    password = form.raw.get("password", "")
    if not password:
        form.error("password", "Password is required.")
    form.data["password"] = password
    return form


def parse_email_change(formdata: FormData) -> Form:
    """A new address, and the current password (checked by the caller when the member has one)."""
    form = Form.from_formdata(formdata)
    _email(form)
    form.data["password"] = form.raw.get("password", "")
    return form


def _email(form: Form) -> None:
    email = form.text("email", label="Email", max_length=254).lower()
    form.data["email"] = email
    if len(email) > 254:  # lower-casing can lengthen some letters
        form.error("email", "An email address can be at most 254 characters.")
    if email and "email" not in form.errors and not EMAIL.match(email):
        form.error("email", "That does not look like an email address (name@example.org).")


def parse_forgot_password(formdata: FormData) -> Form:
    form = Form.from_formdata(formdata)
    form.text("login", label="Username or email", max_length=254)
    return form


def parse_new_password(formdata: FormData, member: Any) -> Form:
    """A new password for `member` (from an emailed link)."""
    form = Form.from_formdata(formdata)
    _password(form, "password", [member["username"], member["email"], member["display_name"]])
    return form


def _password(form: Form, name: str, user_inputs: list[str]) -> None:
    # Read from the raw form as typed: never stripped or cut.
    password = form.raw.get(name, "")
    problem = password_problem(password, user_inputs)
    if problem is not None:
        form.error(name, problem)
    form.data[name] = password


def parse_api_token(formdata: FormData) -> Form:
    """A new personal API token: a name to recognise it by, a scope, and an optional last day."""
    form = Form.from_formdata(formdata)
    form.text("name", label="Name", max_length=80)
    scope = form.raw.get("scope", "")
    if scope not in ("read", "write"):
        form.error("scope", "Choose whether the token may only read or also write.")
    form.data["scope"] = scope
    expires_on = form.day("expires_on", label="Expires on")
    if expires_on is not None and expires_on <= utcnow().date():
        form.error("expires_on", "Choose a day after today, or leave it empty for a token that does not expire.")
    form.data["expires_at"] = (
        datetime(expires_on.year, expires_on.month, expires_on.day, tzinfo=UTC) + timedelta(days=1)
        if expires_on is not None
        else None
    )
    return form
