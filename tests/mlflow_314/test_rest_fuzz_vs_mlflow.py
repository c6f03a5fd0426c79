"""The REST fuzz sent to `mlflow server` 3.1.4 and `trackstore server` side by side (issue 16).

Each server runs on a new SQLite database seeded alike (`tests.rest_fuzz.seed`); every drawn
request goes to both, with each server's own ids in its placeholders. trackstore may answer
5xx only where MLflow does for the same request, and every difference in status or
error_code must match a row of DIFFERENCES, which says why. TRACKSTORE_FUZZ_VS_MLFLOW_EXAMPLES
sets the number of requests (300 by default); the draw is the same on every run unless
TRACKSTORE_FUZZ_RANDOM is set.
"""

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.client_scenarios import both_servers
from tests.live_server import NO_ANSWER, LiveServer, json_caller
from tests.rest_fuzz import FuzzRequest, render, requests, seed

pytestmark = pytest.mark.mlflow_314
EXAMPLES = int(os.environ.get("TRACKSTORE_FUZZ_VS_MLFLOW_EXAMPLES", "300"))
Outcome = tuple[int, str | None]
# gunicorn, which serves MLflow, refuses a longer request line (400, an HTML page) before MLflow
# sees it; such requests are left out.
REQUEST_LINE_LIMIT = 4000


@dataclass(frozen=True)
class Difference:
    """A kind of request on which the two servers answer differently, and why."""

    route: str  # "METHOD /path", or "*" for any route
    theirs: Outcome | None  # None: any
    ours: Outcome | None  # None: any but 5xx
    reason: str

    def explains(self, route: str, theirs: Outcome, ours: Outcome) -> bool:
        return (
            self.route in ("*", route)
            and (self.theirs is None or self.theirs == theirs)
            and (self.ours is None or self.ours == ours)
        )


INVALID = (400, "INVALID_PARAMETER_VALUE")
NOT_FOUND = (404, "RESOURCE_DOES_NOT_EXIST")
IGNORED_REFUSAL = (
    "MLflow 3.1.4 ignores protobuf's refusal of a field of the wrong type or out of range and "
    "serves the request with that field (and the ones after it) at protobuf's defaults; "
    "trackstore refuses the field by name"
)
DIFFERENCES: list[Difference] = [
    Difference("*", (200, None), INVALID, IGNORED_REFUSAL),
    Difference("*", NOT_FOUND, INVALID, IGNORED_REFUSAL + " (MLflow then looks up an empty id)"),
    Difference(
        "*",
        (400, "RESOURCE_ALREADY_EXISTS"),
        INVALID,
        "trackstore checks every field before the name's uniqueness; MLflow 3.1.4 meets the "
        "taken name first (taken by an earlier request MLflow accepted and trackstore refused)",
    ),
    Difference(
        "*",
        (500, None),
        INVALID,
        "MLflow 3.1.4 fails with an HTML 500 page on this malformed input (a body that is not a "
        "JSON object, a field of the wrong type); trackstore refuses it with a sentence",
    ),
    Difference(
        "*",
        (500, None),
        NOT_FOUND,
        "MLflow 3.1.4 fails with an HTML 500 page; trackstore answers that the object named "
        "does not exist",
    ),
    Difference(
        "*",
        (404, None),
        (404, "ENDPOINT_NOT_FOUND"),
        "a path value holding '/' or nothing matches no route: Flask answers with an HTML page, "
        "trackstore with MLflow's JSON error",
    ),
    Difference(
        "*",
        (405, None),
        (404, "ENDPOINT_NOT_FOUND"),
        "an empty path value leaves a path that Flask matches to another route with other "
        "methods (an HTML 405); it is no route of trackstore's",
    ),
    Difference(
        "*",
        (308, None),
        (404, "ENDPOINT_NOT_FOUND"),
        "an empty path value leaves '//' in the path, which Flask redirects to the path without "
        "it; trackstore serves no such route",
    ),
    Difference(
        "*",
        (404, None),
        (307, None),
        "an empty path value leaves a trailing '/', which Starlette redirects to the path "
        "without it; Flask answers with an HTML 404",
    ),
    Difference(
        "POST /traces/link-to-run",
        (405, None),
        None,
        "MLflow 3.18 added this route (linking traces to a run), which trackstore serves as 3.18 "
        "does; MLflow 3.1.4 has no such route, and Flask answers another method's HTML 405",
    ),
    Difference(
        "POST /logged-models/{model_id}/params",
        INVALID,
        None,
        "MLflow 3.1.4 requires model_id in the body although the path carries it (its client "
        "sends both); trackstore takes the path's, and logs to that model or says it does not "
        "exist",
    ),
    Difference(
        "POST /traces",
        None,
        NOT_FOUND,
        "without experiment_id MLflow 3.1.4 starts the trace in experiment 0 (refused once an "
        "earlier request deleted it); trackstore answers that experiment '' does not exist (the "
        "client always sends one)",
    ),
    Difference(
        "*",
        (400, "BAD_REQUEST"),
        NOT_FOUND,
        "MLflow 3.1.4 inserts first and reports the database's foreign key failure, its SQL "
        "included, as BAD_REQUEST; trackstore looks the parent (experiment, trace) up first",
    ),
    Difference(
        "POST /experiments/search",
        INVALID,
        (200, None),
        "without max_results, MLflow 3.1.4's server reads protobuf's 0 and refuses it (its "
        "client always sends one); trackstore uses the default page size",
    ),
    Difference(
        "GET /experiments/search",
        INVALID,
        (200, None),
        "as for POST /experiments/search: an absent max_results is the default page size",
    ),
]


def outcome(status: int, answer: Any) -> Outcome:
    if status == NO_ANSWER:
        return status, str(answer)
    code = answer.get("error_code") if isinstance(answer, dict) and status >= 300 else None
    return status, code


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LiveServer]]:
    yield from both_servers(tmp_path_factory.mktemp("fuzz-servers"))


def test_trackstore_answers_as_mlflow_does_or_the_difference_is_listed(
    servers: dict[str, LiveServer],
) -> None:
    calls = {name: json_caller(server) for name, server in servers.items()}
    ids = {name: seed(call, "vs") for name, call in calls.items()}
    unexplained: Counter[tuple[str, Outcome, Outcome]] = Counter()
    samples: dict[tuple[str, Outcome, Outcome], str] = {}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not os.environ.get("TRACKSTORE_FUZZ_RANDOM"),
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(requests())
    def compare(request: FuzzRequest) -> None:
        answers, messages = {}, {}
        for name, call in calls.items():
            url, body = render(request, ids[name])
            if len(url) > REQUEST_LINE_LIMIT:
                return
            status, answer = call(request.method, url, body)
            answers[name] = outcome(status, answer)
            messages[name] = repr(answer)[:200]
        theirs, ours = answers["mlflow"], answers["trackstore"]
        if theirs == ours:
            return
        route = f"{request.method} {request.path}"
        server_error = (ours[0] >= 500 or ours[0] == NO_ANSWER) and 0 < theirs[0] < 500
        if server_error or not any(d.explains(route, theirs, ours) for d in DIFFERENCES):
            unexplained[route, theirs, ours] += 1
            samples.setdefault(
                (route, theirs, ours),
                f"{request.describe()}\n       mlflow: {messages['mlflow']}"
                f"\n       trackstore: {messages['trackstore']}",
            )

    compare()
    report = "\n".join(
        f"{count:4} x {route}: mlflow {theirs} trackstore {ours}\n       e.g. {samples[key]}"
        for key, count in unexplained.most_common()
        for route, theirs, ours in [key]
    )
    assert not unexplained, "differences not listed in DIFFERENCES:\n" + report
