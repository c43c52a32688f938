"""The gRPC requests the real Pulumi engine sent the PAL link's provider, recorded by
``scripts/record_engine_requests.py`` (``tests/recordings/<step>/requests.jsonl``), replayed through the SDK's own
dynamic provider host: the provider answers each exactly as it did when recorded. Beside the hand-written requests
of ``tests/test_provider_host.py``, these are the engine's own shapes (unknowns, secrets, left-out keys, the whole
stack configuration in Configure)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from pulumi.runtime.proto import provider_pb2

from partner_attribution.testing import FakeAzure
from partner_attribution.testing.provider_host import DynamicProviderHost, ProviderCallError
from partner_attribution.testing.recorder import DRIFT_PARTNER_ID, ONE_LINK_PRINCIPAL, RECORD_FILE, RECORD_FOLDER_VARIABLE

RECORDINGS = Path(__file__).parent / "recordings"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
REQUEST_TYPES = {
    "Configure": provider_pb2.ConfigureRequest,
    "Check": provider_pb2.CheckRequest,
    "Diff": provider_pb2.DiffRequest,
    "Create": provider_pb2.CreateRequest,
    "Read": provider_pb2.ReadRequest,
    "Update": provider_pb2.UpdateRequest,
    "Delete": provider_pb2.DeleteRequest,
}
ANSWERED_BY_THE_REQUEST_ALONE = ("Configure", "Check", "Diff")
"""Replayed from every recording; Create, Read, Update and Delete talk to Azure: replayed from the ``one-link``
program's recordings, in order, against a fresh fake Azure that knows its principal (the example stack's principals
are made by the fake plugins with new IDs at each recording)."""
EXAMPLE_PREVIEW = "example-stack/01-new-stack-preview"


def recorded(step: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (RECORDINGS / step / RECORD_FILE).read_text().splitlines()]


def steps(program: str = "*") -> list[str]:
    return sorted(f"{p.parent.parent.name}/{p.parent.name}" for p in RECORDINGS.glob(f"{program}/*/{RECORD_FILE}"))


@pytest.fixture(scope="module")
def host() -> Iterator[DynamicProviderHost]:
    with DynamicProviderHost() as provider_host:
        yield provider_host


def replay(host: DynamicProviderHost, entry: dict[str, Any]) -> dict[str, Any]:
    request = json_format.ParseDict(entry["request"], REQUEST_TYPES[entry["method"]]())
    answer = host.send(entry["method"], request)
    return json_format.MessageToDict(answer, preserving_proto_field_name=True)


def test_the_recordings_are_there() -> None:
    assert EXAMPLE_PREVIEW in steps()
    assert {e["method"] for e in recorded(EXAMPLE_PREVIEW)} == {"Configure", "Check"}
    lifecycle = ["01-new-stack-preview", "02-up", "03-no-change-preview", "04-refresh", "05-drifted-preview", "06-destroy"]
    for program in ("one-link", "example-stack"):
        assert [s.split("/")[1] for s in steps(program)] == lifecycle, program
    assert {e["method"] for s in steps("one-link") for e in recorded(s)} == {
        "Configure",
        "Check",
        "Diff",
        "Create",
        "Read",
        "Delete",
    }


@pytest.mark.parametrize("step", steps())
def test_each_recorded_check_and_diff_gets_the_recorded_answer(host: DynamicProviderHost, step: str) -> None:
    entries = [e for e in recorded(step) if e["method"] in ANSWERED_BY_THE_REQUEST_ALONE]
    assert entries
    for entry in entries:
        assert "error" not in entry, f"{step}: {entry['method']} failed when recorded: {entry.get('error')}"
        assert replay(host, entry) == entry["response"], f"{step}: {entry['method']} {entry['request'].get('urn')}"


def test_a_new_stacks_preview_as_the_engine_sends_it_passes_check(host: DynamicProviderHost) -> None:
    """Issue 23: every link whose principal the stack declares gets its client and tenant IDs (and a password
    link its secret) as unknowns; each passes Check, and the unknowns stay unknown."""
    checks = [e for e in recorded(EXAMPLE_PREVIEW) if e["method"] == "Check"]
    declared = [e for e in checks if e["request"]["news"]["client_id"] == UNKNOWN]
    assert {e["request"]["urn"].rsplit("::", 1)[1] for e in declared} == {
        "platform-delivery-pal",
        "workload-delivery-pal",
        "reporting-pal",
    }
    assert any(e["request"]["news"].get("client_secret") == UNKNOWN for e in declared)
    for entry in checks:
        answer = replay(host, entry)
        assert answer.get("failures", []) == []
        for key, value in entry["request"]["news"].items():
            if value == UNKNOWN:
                assert answer["inputs"][key] == UNKNOWN, key


def test_the_recorder_writes_each_request_and_its_answer(tmp_path: Path) -> None:
    folder = tmp_path / "recorded"
    with DynamicProviderHost(
        env={RECORD_FOLDER_VARIABLE: str(folder)}, module=("partner_attribution.testing.recorder",)
    ) as recorder:
        recorder.configure({"partner-attribution:partnerId": "1234567"})
        entry = next(e for e in recorded(EXAMPLE_PREVIEW) if e["request"].get("urn", "").endswith("::reporting-pal"))
        assert entry["method"] == "Check"
        answer = replay(recorder, entry)
        left_out = {k: v for k, v in entry["request"]["news"].items() if k not in ("tenant_id", "client_id", "client_secret")}
        with pytest.raises(ProviderCallError, match="the engine sent no value for tenant_id, client_id"):
            recorder.send(
                "Create",
                json_format.ParseDict({"urn": entry["request"]["urn"], "properties": left_out}, provider_pb2.CreateRequest()),
            )
    lines = [json.loads(line) for line in (folder / RECORD_FILE).read_text().splitlines()]
    assert [line["method"] for line in lines] == ["Configure", "Check", "Create"]
    assert lines[0]["request"]["args"] == {"partner-attribution:partnerId": "1234567"}
    assert lines[1]["request"] == entry["request"] and lines[1]["response"] == answer
    assert "response" not in lines[2] and lines[2]["error"].startswith(
        "PAL link 'reporting-pal': linking to partner ID 1234567 failed"
    )


def test_the_one_link_lifecycle_replays_against_a_fresh_fake(fake_azure: FakeAzure) -> None:
    """up, no-change preview, refresh, drift, destroy: each call the engine made, in its order, gets the answer it got
    when recorded, and the fake sees what the engine's run did to it."""
    principal = ONE_LINK_PRINCIPAL
    app = fake_azure.add_app(principal["tenant_id"], client_id=principal["client_id"], object_id=principal["object_id"])
    fake_azure.add_secret(app, value=principal["client_secret"])
    with DynamicProviderHost(env=fake_azure.environment(proxy=True)) as host:
        for step in steps("one-link"):
            if step.endswith("05-drifted-preview"):
                fake_azure.set_link(app, DRIFT_PARTNER_ID)  # as the recording script did before this step
            for entry in recorded(step):
                assert "error" not in entry, f"{step}: {entry['method']} failed when recorded"
                assert replay(host, entry) == entry["response"], f"{step}: {entry['method']}"
            if step.endswith("02-up"):
                assert fake_azure.link_of(app)["partnerId"] == principal["partner_id"]
        assert principal["client_secret"] not in host.stderr()
    assert fake_azure.link_of(app)["partnerId"] == DRIFT_PARTNER_ID  # destroy removed only this stack's link
    diffs = [e["response"] for e in recorded("one-link/05-drifted-preview") if e["method"] == "Diff"]
    assert diffs and all(d["changes"] == "DIFF_SOME" and not d.get("replaces") for d in diffs)
