"""Property-based fuzzing (schemathesis + Hypothesis, in process over ASGI) of the operations that
take times and numbers, with edge values: every ``date-time`` is drawn from the ends of the
calendar (years 1 and 9999, offsets of +-14 h, naive values, leap seconds' neighbours, the bounds
1970 and 2200) as well as ordinary times, and numbers come from positive and negative generation
(schemathesis's negative mode draws out-of-range integers and floats). No answer may be a 5xx.

Bounded for CI: ``FUZZ_EXAMPLES`` examples per operation and mode (default 20).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.formats import register_string_format, unregister_string_format

from api_support import ADMIN, ADMIN_KEY, api_settings, fuzz_tenant_key
from memory_core.settings import Settings
from services.api import create_app

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
TENANT_ID = "fuzz-edges-tenant-k3"

_HOME = Path(tempfile.mkdtemp(prefix="vidmem-fuzz-edges-"))
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
_SETTINGS = Settings(home=_HOME, environment="test", admin_key=ADMIN_KEY, api=api_settings())
app = create_app(_SETTINGS)
schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(
    path_regex=r"^/v1/(query|search|memories|jobs|entities/\{entity_id\}|sources/\{source\}/stories|"
               r"admin/tenants/\{tenant_id\}/sources/\{source\}/path-ingests)$")
schema.config.generation.update(modes=["positive", "negative"])

_YEARS = st.sampled_from([1, 2, 1969, 1970, 2026, 2200, 2201, 9998, 9999]) | st.integers(1, 9999)
_OFFSETS = st.sampled_from(["Z", "+14:00", "-14:00", "+00:00", "-00:30", "+05:45", ""])


@st.composite
def edge_datetimes(draw) -> str:
    """ISO 8601 strings at and around the ends of the calendar (and naive ones)."""
    year = draw(_YEARS)
    month = draw(st.sampled_from([1, 12]) | st.integers(1, 12))
    day = draw(st.sampled_from([1, 28, 31 if month in (1, 3, 5, 7, 8, 10, 12) else 28]))
    hour, minute, second = draw(st.sampled_from([(0, 0, 0), (23, 59, 59), (12, 30, 0)]))
    frac = draw(st.sampled_from(["", ".999999", ".5"]))
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{frac}{draw(_OFFSETS)}"


@pytest.fixture(scope="module", autouse=True)
def edge_date_time_format():
    register_string_format("date-time", edge_datetimes())
    yield
    unregister_string_format("date-time")


@pytest.fixture(scope="module")
def fuzz_key() -> dict[str, str]:
    """A tenant of its own for the fuzzer (see :func:`api_support.fuzz_tenant_key`)."""
    return fuzz_tenant_key(_SETTINGS.db_url, TENANT_ID, "fuzz-edges", "fuzz")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_5xx_on_time_and_number_edges(case, fuzz_key):
    headers = ADMIN if case.path.startswith("/v1/admin") else fuzz_key
    case.call_and_validate(headers=headers, checks=[not_a_server_error])
