"""No server error on any input to the REST API: schemathesis reads ``/api/v1/_openapi`` and
sends every operation generated requests — valid ones and ones that break the schema (huge
integers, wrong types, arrays for objects, unknown codes, duplicates of existing keys) — in
process, through the Flask test client, as an administrator and as an inspector. Every answer
must be below 500 and have a status code the description declares (or 403: a role without the
permission).

Bounded for CI: ``EXAMPLES`` cases per operation and generation mode, derandomized (the same
cases every run), no shrinking. The town lives in a database of its own (the requests create,
edit and delete records), seeded like the session's (``conftest.seed_town``).

The same requests from the command line, against a server of the same town::

    st run http://127.0.0.1:PORT/api/v1/_openapi -H "Authorization: Bearer $TOKEN" -n 30 \\
        --seed 1 -w 1 --no-shrink --continue-on-failure -c not_a_server_error
"""
import os

import pytest
import schemathesis  # the test extra of pyproject.toml

from tests.conftest import PASSWORD, make_app, own_database_url, seed_town


EXAMPLES = int(os.environ.get("OBLIK_FUZZ_EXAMPLES", "8"))


@pytest.fixture(scope="module")
def fuzz_app():
    from app.services.setup import upgrade_database

    application = make_app(SQLALCHEMY_DATABASE_URI=own_database_url("fuzz"), PROPAGATE_EXCEPTIONS=False)
    with application.app_context():
        upgrade_database()
        seed_town()
    return application


def _token(application, role):
    response = application.test_client().post(
        "/api/v1/security/login", json={"username": role, "password": PASSWORD, "provider": "db"})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def _fuzz(application, role):
    """(requests sent, [failure descriptions]) of every operation in both generation modes."""
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.generation import GenerationMode
    from schemathesis.specs.openapi.checks import status_code_conformance

    headers = _token(application, role)
    # The description is the administrator's (an inspector may not read it); the requests are the role's.
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", application, headers=_token(application, "admin"))
    sent = [0]
    failures = {}

    def fuzz(operation, mode):
        @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            sent[0] += 1
            try:
                response = case.call(headers=headers)
            except Exception as error:  # noqa: BLE001 — the app raised: a server error
                failures.setdefault((operation.label, type(error).__name__),
                                    f"{operation.label}: {type(error).__name__}: {error}"[:400])
                return
            # 403 is FAB's answer to a role without the permission (the description, generated
            # for every role, does not list it): a refusal, still checked for a server error.
            checks = [not_a_server_error] if response.status_code == 403 else [not_a_server_error,
                                                                               status_code_conformance]
            try:
                case.validate_response(response, checks=checks, headers=headers)
            except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 — a failed check
                failures.setdefault((operation.label, response.status_code),
                                    f"{operation.label} → {response.status_code}: {case.as_curl_command()}"
                                    f" :: {response.text[:300]} :: {str(error)[:300]}")

        run()

    for result in schema.get_all_operations():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(result.ok(), mode)
    return sent[0], sorted(failures.values())


@pytest.mark.parametrize("role", ["admin", "inspector"])
def test_the_api_never_answers_a_server_error(fuzz_app, role):
    sent, failures = _fuzz(fuzz_app, role)
    print(f"schemathesis as {role}: {sent} requests, {len(failures)} distinct failures")
    assert sent > 100
    assert not failures, "\n".join(failures)
