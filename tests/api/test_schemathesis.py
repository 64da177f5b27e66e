"""Property-based tests of the whole OpenAPI document (schemathesis, in process over ASGI): for
every operation, generated requests with the admin key (``/v1/admin``) or a tenant key (the rest)
never answer 5xx, and every answer matches the declared status codes, content types and schemas.

Bounded for CI: ``SCHEMATHESIS_EXAMPLES`` examples per operation (default 15).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from api_support import ADMIN, ADMIN_KEY, api_settings, fuzz_tenant_key
from memory_core.settings import Settings
from services.api import create_app

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15"))
TENANT_ID = "schemathesis-fuzz-tenant-q7"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# The app under test has a home of its own (schemathesis runs the app's lifespan around each
# operation, so the stores reopen on the same folder); a small upload limit keeps uploads cheap.
_HOME = Path(tempfile.mkdtemp(prefix="vidmem-schemathesis-"))
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
_SETTINGS = Settings(home=_HOME, environment="test", admin_key=ADMIN_KEY, api=api_settings(max_upload_bytes=2_000_000))
app = create_app(_SETTINGS)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module")
def fuzz_key() -> dict[str, str]:
    """A tenant of its own for the fuzzer (see :func:`api_support.fuzz_tenant_key`)."""
    return fuzz_tenant_key(_SETTINGS.db_url, TENANT_ID, "fuzz", "schemathesis")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_openapi_contract(case, fuzz_key):
    headers = ADMIN if case.path.startswith("/v1/admin") else fuzz_key
    if case.path == "/v1/admin/tenants/{tenant_id}" and case.method.upper() == "DELETE":
        if (case.path_parameters or {}).get("tenant_id") == TENANT_ID:
            return
    if case.path == "/readyz":
        # schemathesis restarts the app between operations; /readyz rightly answers 503 until the
        # models are loaded again, so wait for that before checking the answer.
        deadline = time.monotonic() + 120
        response = case.call(headers=headers)
        while response.status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.2)
            response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)
        return
    case.call_and_validate(headers=headers, checks=CHECKS)
