"""Schemathesis against the API's own OpenAPI document, on each database, with a read-write token.

Bounded: a few examples per operation, positive and negative, so the run stays well under a minute.
"""

import re
import time

import hypothesis
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.app import create_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 15
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"|name="csrf_token" value="([^"]+)"')
TOKEN = re.compile(r'value="(rt_[^"]+)"')


def _csrf(client, path: str) -> str:
    match = CSRF.search(client.get(path).text)
    return match.group(1) or match.group(2)


def signed_up_with_token(app) -> str:
    """Mallory signs up in the browser way, creates a read-write token and shares two ideas with it."""
    with asgi.get_client(app) as client:
        response = client.post(
            "/signup",
            data={
                "username": "mallory",
                "email": "mallory@example.org",
                "display_name": "Mallory",
                "password": "correct horse battery",
                "csrf_token": _csrf(client, "/signup"),
            },
            allow_redirects=False,
        )
        assert response.status_code == 303, response.text
        response = client.post(
            "/settings/tokens",
            data={"name": "fuzzer", "scope": "write", "csrf_token": _csrf(client, "/settings/tokens")},
        )
        token = TOKEN.search(response.text).group(1)
    with asgi.get_client(app) as script:  # no cookie: a token with a cookie would need the CSRF header too
        for title in ("A first idea to fuzz", "A second idea to fuzz"):
            created = script.post("/api/v1/ideas", json={"title": title}, headers={"Authorization": f"Bearer {token}"})
            assert created.status_code == 201, created.text
    return token


def test_schemathesis_finds_no_server_error_and_no_response_that_breaks_the_document(settings):
    app = create_app(settings)
    try:
        schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
        token = signed_up_with_token(app)
        started = time.monotonic()
        failures = []
        answered: dict[str, set[int]] = {}
        for result in schema.get_all_operations():
            operation = result.ok()
            passes = [(GenerationMode.POSITIVE, {}), (GenerationMode.NEGATIVE, {})]
            if "{idea_id}" in operation.path:
                # Random numbers rarely name an idea: once more on one that exists, so writes go through.
                passes.append((GenerationMode.POSITIVE, {"path_parameters": {"idea_id": 1}, "cookies": {}}))
            for mode, pinned in passes:

                @hypothesis.settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    database=None,
                    derandomize=True,
                    suppress_health_check=list(hypothesis.HealthCheck),
                    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
                )
                @hypothesis.given(case=operation.as_strategy(generation_mode=mode, **pinned))
                def exercise(case):
                    response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
                    answered.setdefault(case.operation.label, set()).add(response.status_code)

                try:
                    exercise()
                except hypothesis.errors.Unsatisfiable:
                    assert mode is GenerationMode.NEGATIVE  # nothing to get wrong in a call without input
                except Exception as error:  # noqa: BLE001 - collected to report every operation at once
                    failures.append(f"{operation.label} ({mode.value}): {error}")
        elapsed = time.monotonic() - started
        print(f"fuzzed {len(schema)} paths in {elapsed:.1f} s")
        assert not failures, "\n\n".join(failures)
        # The token's writes went through, not only refusals.
        assert 201 in answered["POST /api/v1/ideas"] and 200 in answered["PUT /api/v1/ideas/{idea_id}/vote"]
        assert 201 in answered["POST /api/v1/ideas/{idea_id}/comments"], answered
    finally:
        asgi.shutdown_lifespans()
