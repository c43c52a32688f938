"""The Pulumi plugin in process: its schema, the PartnerAdminLink custom resource against the fake Azure (through
the same link client as the dynamic provider), unknown inputs in a preview, a dynamic provider's state, and errors
without stack frames. The engine tests (tests/engine/test_plugin_yaml.py) run it under the real engine."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import grpc.aio
import pytest
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.provider.experimental.provider import (
    CheckRequest,
    CreateRequest,
    DeleteRequest,
    DiffRequest,
    ReadRequest,
    UpdateRequest,
)
from pulumi.runtime import proto

from partner_attribution.partner_link import REPLACE_KEYS, UPDATE_KEYS, LinkDiagnostic, PartnerAdminLinkArgs
from partner_attribution.plugin import components
from partner_attribution.plugin.engine_log import EngineLog
from partner_attribution.plugin.link import COMPUTED_KEYS, LINK_TYPE
from partner_attribution.plugin.provider import PartnerAttributionProvider, schema
from partner_attribution.plugin.server import MessageOnlyServicer
from partner_attribution.plugin.values import UNKNOWN, camel, plain_map, snake, wire_map
from partner_attribution.testing import FakeAzure, Fault

PARTNER = "1234567"
URN = f"urn:pulumi:dev::project::{LINK_TYPE}::delivery-pal"


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def link_inputs(fake: FakeAzure, app: Any, secret: str, **overrides: Any) -> dict[str, PropertyValue]:
    values = {
        "partnerId": PARTNER,
        "tenantId": app.tenant_id,
        "clientId": app.client_id,
        "clientSecret": secret,
        "authorityHost": fake.authority_host,
        "armEndpoint": fake.arm_endpoint,
        "timeoutSeconds": 30,
        **overrides,
    }
    return wire_map(values, secrets=["clientSecret"])


# -- the schema ------------------------------------------------------------------------------------------------
def _properties(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for kind in ("resources", "types"):
        for token, spec in document[kind].items():
            for group in ("inputProperties", "properties"):
                for name, prop in spec.get(group, {}).items():
                    found.append((token, f"{group}.{name}", prop))
    return found


def test_every_input_and_output_has_a_type_and_a_description() -> None:
    found = _properties(schema())
    assert len(found) > 60
    for token, name, prop in found:
        assert prop.get("description"), f"{token} {name} has no description"
        assert "type" in prop or "$ref" in prop, f"{token} {name} has no type"
        assert name.split(".")[1] == camel(snake(name.split(".")[1])), f"{token} {name} is not camelCase"


def test_the_link_schema_is_the_link_providers_properties() -> None:
    link = schema()["resources"][LINK_TYPE]
    arguments = {camel(k) for k in (*REPLACE_KEYS, *UPDATE_KEYS)} | {"partnerId", "tenantId", "clientId"}
    assert set(link["inputProperties"]) == arguments
    assert set(link["inputProperties"]) == {camel(f) for f in PartnerAdminLinkArgs.__dataclass_fields__}
    assert set(link["properties"]) == arguments | {camel(k) for k in COMPUTED_KEYS}
    assert link["inputProperties"]["clientSecret"]["secret"] and link["properties"]["clientSecret"]["secret"]


def test_the_components_schema_is_what_construct_reads_and_answers() -> None:
    resources = schema()["resources"]
    principal = resources["partner-attribution:index:DeliveryPrincipal"]
    assert principal["isComponent"]
    assert set(principal["inputProperties"]) == {
        "name", "linkSecret", *components.STACK_WIDE_INPUTS, *components.PRINCIPAL_INPUTS
    }  # fmt: skip
    assert set(principal["properties"]) == set(components.DELIVERY_PRINCIPAL_OUTPUTS)
    delegation = resources["partner-attribution:index:LighthouseDelegation"]
    assert set(delegation["properties"]) == set(components.LIGHTHOUSE_DELEGATION_OUTPUTS)


def test_get_schema_serves_the_packages_version() -> None:
    from pulumi.provider.experimental.provider import GetSchemaRequest

    from partner_attribution import __version__

    served = json.loads(run(PartnerAttributionProvider().get_schema(GetSchemaRequest(0, None, None))).schema)
    assert (served["name"], served["version"]) == ("partner-attribution", __version__)


# -- the link's lifecycle ---------------------------------------------------------------------------------------
def test_create_read_update_delete_link_as_the_principal(fake_azure: FakeAzure) -> None:
    provider = PartnerAttributionProvider()
    app = fake_azure.add_app()
    secret = fake_azure.add_secret(app)
    inputs = link_inputs(fake_azure, app, secret)
    checked = run(provider.check(CheckRequest(URN, {}, inputs, b"")))
    assert checked.failures == []
    assert checked.inputs["clientSecret"].is_secret
    assert plain_map(checked.inputs)["cloud"] == "public"  # defaults applied

    created = run(provider.create(CreateRequest(URN, checked.inputs, 60, False)))
    outputs = plain_map(created.properties)
    assert created.resource_id == f"{app.tenant_id}/{app.object_id}"
    assert (outputs["partnerId"], outputs["state"], outputs["objectId"]) == (PARTNER, "Active", app.object_id)
    assert outputs["linkedPartnerId"] == PARTNER
    assert created.properties["clientSecret"].is_secret
    assert fake_azure.link_of(app)["partnerId"] == PARTNER
    puts = [r for r in fake_azure.requests_to("arm") if r.method == "PUT"]
    assert [r.client_id for r in puts] == [app.client_id], "the link is made by the principal itself"

    same = run(provider.diff(DiffRequest(URN, created.resource_id, created.properties, checked.inputs, [])))
    assert same.changes is False

    fake_azure.set_link(app, "7654321")  # drift: another partner's link
    read = run(provider.read(ReadRequest(URN, created.resource_id, created.properties, checked.inputs)))
    assert read.resource_id == created.resource_id
    assert plain_map(read.properties)["partnerId"] == "7654321"
    assert plain_map(read.properties)["linkedPartnerId"] == PARTNER
    drift = run(provider.diff(DiffRequest(URN, read.resource_id, read.properties, checked.inputs, [])))
    assert drift.changes is True and drift.replaces == [] and drift.diffs == ["partnerId"]

    # up --refresh never takes another partner's link without overwriteExisting
    with pytest.raises(Exception, match="7654321") as refused:
        run(provider.update(UpdateRequest(URN, read.resource_id, read.properties, checked.inputs, 60, [], False)))
    assert fake_azure.link_of(app)["partnerId"] == "7654321"
    assert secret not in str(refused.value)

    fake_azure.remove_link(app)
    gone = run(provider.read(ReadRequest(URN, created.resource_id, created.properties, checked.inputs)))
    assert gone.resource_id is None

    fake_azure.set_link(app, PARTNER)
    run(provider.delete(DeleteRequest(URN, created.resource_id, created.properties, 60)))
    assert fake_azure.link_of(app) is None


def test_a_preview_with_unknown_inputs_calls_nothing_and_keeps_them_unknown(fake_azure: FakeAzure) -> None:
    provider = PartnerAttributionProvider()
    inputs = {
        "partnerId": PropertyValue(PARTNER),
        "tenantId": PropertyValue(Computed()),
        "clientId": PropertyValue(Computed()),
        "clientSecret": PropertyValue(Computed(), is_secret=True),
    }
    checked = run(provider.check(CheckRequest(URN, {}, inputs, b"")))
    assert checked.failures == []
    assert plain_map(checked.inputs)["clientId"] == UNKNOWN
    created = run(provider.create(CreateRequest(URN, checked.inputs, 60, True)))
    outputs = plain_map(created.properties)
    assert outputs["partnerId"] == PARTNER
    assert {outputs[camel(k)] for k in COMPUTED_KEYS} == {UNKNOWN}
    for value in created.properties.values():
        value.marshal()  # every answer can go back to the engine
    assert fake_azure.requests == []


def test_check_names_each_problem_by_its_camel_case_input() -> None:
    provider = PartnerAttributionProvider()
    inputs = wire_map({"partnerId": "12ab", "tenantId": "not-a-guid", "clientId": "x", "timeoutSeconds": -1})
    failures = {f.property: f.reason for f in run(provider.check(CheckRequest(URN, {}, inputs, b""))).failures}
    assert set(failures) == {"partnerId", "tenantId", "clientId", "clientSecret", "timeoutSeconds"}
    assert "numeric Microsoft partner ID" in failures["partnerId"]


def test_a_dynamic_providers_state_diffs_as_no_change(fake_azure: FakeAzure) -> None:
    """An upgrade by alias: the engine hands the dynamic provider's state (snake_case, __provider) to the plugin."""
    provider = PartnerAttributionProvider()
    app = fake_azure.add_app()
    secret = fake_azure.add_secret(app)
    inputs = link_inputs(fake_azure, app, secret)
    checked = run(provider.check(CheckRequest(URN, {}, inputs, b"")))
    created = run(provider.create(CreateRequest(URN, checked.inputs, 60, False)))
    dynamic_state = {snake(k): v for k, v in created.properties.items()}
    dynamic_state["__provider"] = PropertyValue("gASV...")  # the pickled provider reference
    diff = run(provider.diff(DiffRequest(URN, created.resource_id, dynamic_state, checked.inputs, [])))
    assert diff.changes is False


def test_a_dynamic_providers_state_is_read_updated_and_deleted_as_it_is(fake_azure: FakeAzure) -> None:
    """After a move by alias the state stays the dynamic provider's until the plugin writes it: refresh, a new
    partner ID and destroy each get it (snake_case, ``__provider``) and act on the right link."""
    provider = PartnerAttributionProvider()
    app = fake_azure.add_app()
    secret = fake_azure.add_secret(app)
    checked = run(provider.check(CheckRequest(URN, {}, link_inputs(fake_azure, app, secret), b"")))
    created = run(provider.create(CreateRequest(URN, checked.inputs, 60, False)))
    dynamic_state = {snake(k): v for k, v in created.properties.items()} | {"__provider": PropertyValue("gASV...")}

    read = run(provider.read(ReadRequest(URN, created.resource_id, dynamic_state, {})))
    assert read.resource_id == created.resource_id and plain_map(read.properties)["partnerId"] == PARTNER

    repointed = link_inputs(fake_azure, app, secret, partnerId="7654321")
    news = run(provider.check(CheckRequest(URN, dynamic_state, repointed, b""))).inputs
    updated = run(provider.update(UpdateRequest(URN, created.resource_id, dynamic_state, news, 60, [], False)))
    assert plain_map(updated.properties)["linkedPartnerId"] == "7654321" == fake_azure.link_of(app)["partnerId"]

    moved_state = {snake(k): v for k, v in updated.properties.items()} | {"__provider": PropertyValue("gASV...")}
    run(provider.delete(DeleteRequest(URN, created.resource_id, moved_state, 60)))
    assert fake_azure.link_of(app) is None


def test_the_plugins_destroy_leaves_a_link_a_0_1_state_cannot_tell_is_its_own(
    fake_azure: FakeAzure, capsys: pytest.CaptureFixture[str]
) -> None:
    """The plugin deletes through the dynamic provider's rule (one home): a 0.1 state (moved by alias, no
    linkedPartnerId) can't tell which partner ID is its own; its refresh records the other partner's ID and still no
    linkedPartnerId, and its destroy sends no DELETE."""
    provider = PartnerAttributionProvider()
    app = fake_azure.add_app()
    checked = run(provider.check(CheckRequest(URN, {}, link_inputs(fake_azure, app, fake_azure.add_secret(app)), b"")))
    created = run(provider.create(CreateRequest(URN, checked.inputs, 60, False)))
    state_of_0_1 = {snake(k): v for k, v in created.properties.items() if k != "linkedPartnerId"}
    fake_azure.set_link(app, "7654321")
    read = run(provider.read(ReadRequest(URN, created.resource_id, state_of_0_1, checked.inputs)))
    assert (plain_map(read.properties)["partnerId"], plain_map(read.properties).get("linkedPartnerId")) == ("7654321", None)
    fake_azure.clear_requests()
    capsys.readouterr()
    run(provider.delete(DeleteRequest(URN, created.resource_id, read.properties, 60)))
    assert fake_azure.link_of(app)["partnerId"] == "7654321"
    assert [r for r in fake_azure.requests_to("arm") if r.method == "DELETE"] == []
    warnings = [line for line in capsys.readouterr().err.splitlines() if "left in place" in line]
    assert len(warnings) == 1 and f"service principal {app.client_id}" in warnings[0]
    assert "partner-attribution unlink --partner-id 7654321" in warnings[0]


class InProcessEngine:
    """The engine's ``Log`` service on a local port, recording what it is sent; ``answer`` decides each call's fate."""

    def __init__(self) -> None:
        from concurrent import futures

        from google.protobuf import empty_pb2
        from pulumi.runtime.proto import engine_pb2_grpc

        self.logged: list[Any] = []
        self.answer: Callable[[], None] = lambda: None
        """Runs before each answer: raise to fail the call, block to hold it."""
        self.released = threading.Event()
        engine = self

        class Engine(engine_pb2_grpc.EngineServicer):  # type: ignore[misc]
            def Log(self, request: Any, context: Any) -> Any:  # noqa: N802 - the gRPC method's name
                engine.logged.append(request)
                engine.answer()
                return empty_pb2.Empty()

        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(Engine(), self.server)  # type: ignore[no-untyped-call]
        self.address = f"127.0.0.1:{self.server.add_insecure_port('127.0.0.1:0')}"
        self.server.start()

    def stop(self) -> None:
        self.released.set()
        self.server.stop(None)


@pytest.fixture
def engine() -> Iterator[InProcessEngine]:
    started = InProcessEngine()
    try:
        yield started
    finally:
        started.stop()


def test_the_plugins_warnings_go_to_the_engine_with_the_resource(fake_azure: FakeAzure, engine: InProcessEngine) -> None:
    """The CLI hides a resource plugin's stderr: a link's lines are sent to the engine's Log service with the link's
    URN. Progress (here: a retry after a 503 to the link's PUT) is an ephemeral INFO, the resource's passing status;
    a warning (destroy leaving another partner's link) is a WARNING, kept in the run's summary."""
    from pulumi.runtime.proto import engine_pb2

    provider = PartnerAttributionProvider(engine.address)
    app = fake_azure.add_app()
    checked = run(provider.check(CheckRequest(URN, {}, link_inputs(fake_azure, app, fake_azure.add_secret(app)), b"")))
    fake_azure.inject(Fault("arm", "status", status=503, method="PUT"))
    created = run(provider.create(CreateRequest(URN, checked.inputs, 60, False)))
    progress = list(engine.logged)
    fake_azure.set_link(app, "7654321")
    run(provider.delete(DeleteRequest(URN, created.resource_id, created.properties, 60)))
    assert fake_azure.link_of(app)["partnerId"] == "7654321"

    assert [line.message.split(":", 1)[0] for line in progress] == [
        f"creating the partner link for {app_who(app)}",
        app_who(app),
    ], "a wait is said when it starts and once at its end"
    assert "waiting (" in progress[0].message and "linked after waiting" in progress[1].message
    assert {(line.severity, line.ephemeral, line.urn) for line in progress} == {(engine_pb2.INFO, True, URN)}
    [warning] = engine.logged[len(progress) :]
    assert (warning.severity, warning.ephemeral, warning.urn) == (engine_pb2.WARNING, False, URN)
    assert f"names partner ID 7654321, not {PARTNER}" in warning.message and app.client_id in warning.message


def app_who(app: Any) -> str:
    """How the link client names the principal it signs in as."""
    return f"service principal {app.client_id} in tenant {app.tenant_id}"


@pytest.mark.parametrize("kind", ["warning", "progress"])
def test_an_engine_that_answers_leaves_stderr_empty(
    engine: InProcessEngine, capsys: pytest.CaptureFixture[str], kind: LinkDiagnostic
) -> None:
    EngineLog(engine.address).show(URN, "the line", kind)
    assert [line.message for line in engine.logged] == ["the line"]
    assert capsys.readouterr().err == ""


def test_a_line_the_engine_refuses_goes_to_stderr(engine: InProcessEngine, capsys: pytest.CaptureFixture[str]) -> None:
    def refuse() -> None:
        raise RuntimeError("the engine fails the call")

    engine.answer = refuse
    EngineLog(engine.address).show(URN, "PAL link left in place", "warning")
    assert len(engine.logged) == 1, "the engine was asked first"
    assert capsys.readouterr().err == "warning: PAL link left in place\n"


def test_a_line_the_engine_does_not_answer_in_time_goes_to_stderr(
    engine: InProcessEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    """The engine holds the call until the test ends: the Log call's deadline, not the engine, ends the wait."""
    engine.answer = lambda: engine.released.wait(60)
    log = EngineLog(engine.address, timeout_seconds=0.5)
    log.show(URN, "still waiting", "progress")
    assert capsys.readouterr().err == "warning: still waiting\n"


def test_without_an_engine_every_line_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    log = EngineLog(None)
    log.show(URN, "a warning", "warning")
    log.show(URN, "a wait", "progress")
    assert capsys.readouterr().err == "warning: a warning\nwarning: a wait\n"


def test_a_change_of_provider_never_replaces_a_link() -> None:
    """The engine asks the new provider's DiffConfig when a link moves from the dynamic provider (pulumi-python's
    default provider, whose inputs hold its version) to this plugin; a replacement there would replace every link
    (tests/engine/test_upgrade.py sees the engine's steps)."""
    provider = PartnerAttributionProvider()
    urn = "urn:pulumi:dev::project::pulumi:providers:partner-attribution::default"
    olds = wire_map({"version": "3.272.0"})
    diff = run(provider.diff_config(DiffRequest(urn, "", olds, {}, [])))
    assert diff.changes is False and not diff.replaces


def test_an_unknown_type_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="no custom resource 'partner-attribution:index:Other'"):
        run(PartnerAttributionProvider().check(CheckRequest("urn:pulumi:s::p::partner-attribution:index:Other::x", {}, {}, b"")))


# -- errors ----------------------------------------------------------------------------------------------------
class _Context:
    """What the servicer is given by grpc.aio: records the status it aborts with."""

    def __init__(self) -> None:
        self.aborted: tuple[Any, str] | None = None

    async def abort(self, code: Any, details: str) -> None:
        self.aborted = (code, details)
        raise grpc.aio.AbortError()


def test_a_failed_call_answers_its_message_without_stack_frames_or_tokens(fake_azure: FakeAzure) -> None:
    """Pulumi's server appends the Python stack to every error; the plugin's servicer answers the message alone."""
    app = fake_azure.add_app()
    secret = fake_azure.add_secret(app)
    fake_azure.revoke_secret(app, secret)
    servicer = MessageOnlyServicer([], "0.1.0", PartnerAttributionProvider(), engine_address="127.0.0.1:1")
    properties = PropertyValue.marshal_map(link_inputs(fake_azure, app, secret, timeoutSeconds=2))
    context = _Context()
    with pytest.raises(grpc.aio.AbortError):
        run(servicer.Create(proto.CreateRequest(urn=URN, properties=properties, timeout=60, preview=False), context))
    assert context.aborted is not None
    code, message = context.aborted
    assert code == grpc.StatusCode.UNKNOWN
    assert app.client_id in message, message
    assert "Traceback" not in message and 'File "' not in message and ".py" not in message, message
    assert secret not in message and "eyJ" not in message


# -- the component's inputs --------------------------------------------------------------------------------------
def test_component_inputs_are_checked_as_configuration_with_input_paths() -> None:
    inputs = wire_map({"partnerId": "1234567", "roles": [{"role": "Contributer", "scope": "/subscriptions/nope"}]})
    with pytest.raises(components.ComponentInputsError) as raised:
        components.delivery_principal("delivery", inputs, None)  # type: ignore[arg-type]
    problems = raised.value.problems
    assert any(p.startswith("roles[0].role:") and "Contributor" in p for p in problems), problems
    assert any(p.startswith("roles[0].scope:") for p in problems), problems
    assert any(p.startswith("credential:") or "rotatedOn" in p for p in problems), problems
    assert not [p for p in problems if "principals[" in p]


def test_component_inputs_unknown_in_a_preview_are_named() -> None:
    inputs = {"partnerId": PropertyValue("1234567"), "roles": wire_map({"r": [{"role": "Reader"}]})["r"]}
    inputs["roles"] = PropertyValue([PropertyValue({"role": PropertyValue("Reader"), "scope": PropertyValue(Computed())})])
    with pytest.raises(components.ComponentInputsError, match=r"roles\[0\]\.scope: not known"):
        components.delivery_principal("delivery", inputs, None)  # type: ignore[arg-type]


def test_component_name_must_be_the_resources() -> None:
    inputs = wire_map({"name": "other", "partnerId": "1234567", "roles": []})
    with pytest.raises(components.ComponentInputsError, match="name: 'other' differs"):
        components.delivery_principal("delivery", inputs, None)  # type: ignore[arg-type]


def test_import_reads_the_live_link_with_the_programs_inputs(fake_azure: FakeAzure) -> None:
    """The import resource option: Read gets the ID and the program's inputs, no state."""
    provider = PartnerAttributionProvider()
    app = fake_azure.add_app()
    secret = fake_azure.add_secret(app)
    fake_azure.set_link(app, PARTNER)
    inputs = link_inputs(fake_azure, app, secret)
    resource_id = f"{app.tenant_id}/{app.object_id}"
    imported = run(provider.read(ReadRequest(URN, resource_id, {}, inputs)))
    assert imported.resource_id == resource_id
    assert plain_map(imported.properties)["partnerId"] == PARTNER
    assert imported.properties["clientSecret"].is_secret
    with pytest.raises(ValueError, match="import it with that ID"):
        run(provider.read(ReadRequest(URN, f"{app.tenant_id}/{'0' * 8}-0000-4000-8000-000000000000", {}, inputs)))
    with pytest.raises(ValueError, match="needs its inputs"):
        run(provider.read(ReadRequest(URN, resource_id, {}, {})))


def test_the_plugins_links_share_connections_and_each_signs_in_as_itself(fake_azure: FakeAzure) -> None:
    """Four links made one after the other by one plugin: they reuse one pool of connections (each link alone opens one
    for Entra and one for ARM) and one OpenID discovery of their tenant, while each signs in as its own principal and
    calls ARM with its own token."""
    provider = PartnerAttributionProvider()
    tenant = fake_azure.add_tenant()
    apps = [fake_azure.add_app(tenant) for _ in range(4)]
    fake_azure.connections = 0
    for app in apps:
        inputs = link_inputs(fake_azure, app, fake_azure.add_secret(app))
        run(provider.create(CreateRequest(URN, inputs, 60, False)))
        assert fake_azure.link_of(app) is not None
    assert fake_azure.connections < len(apps)
    assert [r.tenant_id for r in fake_azure.requests if r.target == "discovery"] == [tenant]
    for app in apps:
        signed_in = {r.client_id for r in fake_azure.requests_to("token") if r.client_id == app.client_id}
        assert signed_in == {app.client_id}
        assert {r.method for r in fake_azure.requests_to("arm") if r.client_id == app.client_id} == {"GET", "PUT"}
