"""Every operation of the OpenAPI document, fuzzed by schemathesis against the real
server over the demo dataset (issue 17): no answer is a 500, and every answer's status,
content type and body are the ones the document declares (decision 0067).

The budget is ``FUZZ_EXAMPLES`` generated cases per operation (plus schemathesis's own
coverage and example cases), about three minutes on a 2-core machine; set
``DASH_TEST_FUZZ_EXAMPLES`` for a longer run.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

FUZZ_EXAMPLES = int(os.environ.get("DASH_TEST_FUZZ_EXAMPLES", "60"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture(scope="session")
def api_schema(demo_api):
    return schemathesis.openapi.from_url(demo_api.url + "/api/v1/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_declared(case, demo_api):
    case.call_and_validate(base_url=demo_api.url, checks=CHECKS, timeout=30)
