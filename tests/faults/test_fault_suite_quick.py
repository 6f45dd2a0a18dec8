"""The fault suite's quick cases in the test run (bench/faults): the same update and the same SMS
1,000 times each, 50 at a time (one row, one reply each); two schedulers and two sweeps over a
simulated week (no duplicate prompt, reminder or escalation). Real processes on the PostgreSQL
and Redis deploy/test.sh provides (TEST_POSTGRES_URL / TEST_REDIS_URL)."""

from __future__ import annotations

import pytest

from bench.faults.run import run_case
from bench.faults.services import ExternalServices
from tests.conftest import service_url

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(scope="module")
def services():
    with ExternalServices(service_url("TEST_POSTGRES_URL"), service_url("TEST_REDIS_URL")) as svc:
        yield svc


@pytest.mark.parametrize("case", ["duplicates", "two-schedulers"])
def test_quick_fault_case(services, case, tmp_path):
    result = run_case(services, case, quick=True, seed=12, workdir=tmp_path)
    print(result.line)
    assert " / duplicated 0 / lost 0 / " in result.line, result.line
    assert result.ok, "\n".join((result.line, *result.notes))
