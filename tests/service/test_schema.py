"""Schemathesis over the service's OpenAPI schema: for every route, requests generated from its
declared parameters and bodies, valid (positive) and invalid (negative), admin routes with the
token, must never get a server error. (Schemathesis's own pytest plugin does not run under this
pytest, so each operation's case strategy is drawn from with Hypothesis directly.)"""

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

pytestmark = pytest.mark.slow  # property-based requests over every route

TOKEN = "a-test-token-of-enough-length"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
EXAMPLES = 25  # per route and mode


@pytest.fixture(scope="module")
def api_schema(shop, recommender_dir, tiny_pipeline_dir, tmp_path_factory):
    from vitrine.service.app import create_app
    from vitrine.app.settings import Settings
    data = tmp_path_factory.mktemp("schema") / "data"
    shutil.copytree(shop.data_dir, data)
    app = create_app(Settings(data, recommender=recommender_dir, model=tiny_pipeline_dir, token=TOKEN))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_the_schema_lists_every_api_route(api_schema):
    labels = {result.ok().label for result in api_schema.get_all_operations()}
    for expected in ("GET /items", "GET /users/{user_id}/recommendations", "POST /events", "POST /generate",
                     "GET /jobs/{job_id}", "POST /admin/launch", "PUT /admin/items/{item_id}/photo", "GET /metrics"):
        assert expected in labels
    assert not any(label.startswith("GET /shop") for label in labels)  # pages are not API


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_gets_a_server_error(api_schema, mode):
    sent: dict[str, int] = {}
    for operation in (result.ok() for result in api_schema.get_all_operations()):
        @given(case=operation.as_strategy(generation_mode=mode, headers=ADMIN))
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            sent[operation.label] = sent.get(operation.label, 0) + 1
            case.call_and_validate(checks=[not_a_server_error])  # an exception in the app fails here too

        try:
            run()
        except Unsatisfiable:  # nothing to make invalid (a route without parameters, in negative mode)
            assert mode is GenerationMode.NEGATIVE
    assert sum(sent.values()) >= 100 and "GET /users/{user_id}/recommendations" in sent  # they really went out
