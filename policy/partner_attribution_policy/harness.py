"""Run the pack as the Pulumi CLI does and talk to it over gRPC: for tests and the benchmark.

The CLI asks the language host to run ``python -u -m pulumi.policy <engineAddress> <policyPackDir>``;
``pulumi/policy/__main__.py`` runs the pack's ``__main__.py``, whose ``PolicyPack(...)`` starts a gRPC
analyzer server and writes its port on stdout. :class:`Analyzer` does the same in a subprocess and gives
the SDK's own stub (``pulumi.runtime.proto.analyzer_pb2_grpc.AnalyzerStub``). Requests are built with the
SDK's protobuf classes, and properties with ``pulumi.runtime.rpc.serialize_properties``, as a program's
registrations reach the engine.
"""

from __future__ import annotations

import asyncio
import os
import selectors
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

POLICY_DIR = Path(__file__).resolve().parents[1]
"""The pack's folder (``policy/``)."""

_LEVELS = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "disabled": analyzer_pb2.DISABLED,
    "remediate": analyzer_pb2.REMEDIATE,
}


class Analyzer:
    """The pack served in a subprocess as the CLI starts it; ``stub`` is a connected ``AnalyzerStub``."""

    def __init__(self, policy_dir: Path = POLICY_DIR, env: Mapping[str, str] | None = None, timeout: float = 30.0) -> None:
        self.policy_dir = policy_dir
        self.env = {**os.environ, **(env or {})}
        self.timeout = timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.channel: grpc.Channel | None = None
        self.port: int | None = None

    def start(self) -> analyzer_pb2_grpc.AnalyzerStub:
        """Start the pack, read its port, connect; raises RuntimeError with its stderr if it does not serve."""
        # The engine address is unused by pulumi_policy; the CLI passes its own, so pass a syntactically valid one.
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(self.policy_dir)],
            cwd=self.policy_dir,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self.process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            ready = selector.select(self.timeout)
        line = self.process.stdout.readline() if ready else b""
        if not line.strip().isdigit():
            self.close()
            raise RuntimeError(f"the policy pack did not serve (stdout {line!r}): {self._stderr()}")
        self.port = int(line)
        self.channel = grpc.insecure_channel(
            f"127.0.0.1:{self.port}",
            options=[("grpc.enable_http_proxy", 0), ("grpc.max_receive_message_length", 400 * 1024 * 1024)],
        )
        grpc.channel_ready_future(self.channel).result(timeout=self.timeout)
        return analyzer_pb2_grpc.AnalyzerStub(self.channel)

    def _stderr(self) -> str:
        if self.process is None or self.process.stderr is None or self.process.poll() is None:
            return ""
        return self.process.stderr.read().decode(errors="replace")

    def close(self) -> None:
        """Close the channel and stop the pack."""
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()
            self.process = None

    def __enter__(self) -> analyzer_pb2_grpc.AnalyzerStub:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None) -> None:
        self.close()


def analyzer_info(stub: analyzer_pb2_grpc.AnalyzerStub) -> analyzer_pb2.AnalyzerInfo:
    """``GetAnalyzerInfo``."""
    return stub.GetAnalyzerInfo(empty_pb2.Empty())


def configure_request(
    info: analyzer_pb2.AnalyzerInfo, config: Mapping[str, Mapping[str, Any] | str] | None = None
) -> analyzer_pb2.ConfigureAnalyzerRequest:
    """A ``ConfigureAnalyzerRequest`` as the CLI sends it after reconciling a config file with the pack's schema:
    an entry for every policy, its enforcement level (configured, or the policy's own) and its properties
    (the schema's defaults, overridden by the configured ones). ``config`` has the config file's shape:
    ``{policy: {"enforcementLevel": ..., **properties}}`` or ``{policy: "<level>"}``."""
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for policy in info.policies:
        entry = (config or {}).get(policy.name, {})
        if isinstance(entry, str):
            entry = {"enforcementLevel": entry}
        properties = {
            key: schema["default"]
            for key, schema in _struct_to_dict(policy.configSchema.properties).items()
            if isinstance(schema, dict) and "default" in schema
        }
        properties.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
        struct = struct_pb2.Struct()
        struct.update(properties)
        level = entry.get("enforcementLevel")
        request.policyConfig[policy.name].CopyFrom(
            analyzer_pb2.PolicyConfig(enforcementLevel=_LEVELS[level] if level else policy.enforcementLevel, properties=struct)
        )
    return request


def _struct_to_dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(struct)


@dataclass
class ResourceSpec:
    """A resource to send to the analyzer: what a program registered (inputs in the engine's wire form)."""

    urn: str
    type: str
    name: str
    inputs: dict[str, Any]
    parent: str = ""
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)


def stack_request(resources: Sequence[ResourceSpec]) -> analyzer_pb2.AnalyzeStackRequest:
    """An ``AnalyzeStackRequest``: ``AnalyzerResource`` messages, properties serialized by the SDK."""

    async def serialize_all() -> list[struct_pb2.Struct]:
        return [await rpc.serialize_properties(r.inputs, {}) for r in resources]

    # A private loop: asyncio.run would leave the thread without a current loop, which the SDK's mock engine needs.
    loop = asyncio.new_event_loop()
    try:
        structs = loop.run_until_complete(serialize_all())
    finally:
        loop.close()
    request = analyzer_pb2.AnalyzeStackRequest()
    for spec, properties in zip(resources, structs, strict=True):
        request.resources.append(
            analyzer_pb2.AnalyzerResource(
                type=spec.type,
                name=spec.name,
                urn=spec.urn,
                properties=properties,
                parent=spec.parent,
                dependencies=spec.dependencies,
                propertyDependencies={
                    key: analyzer_pb2.AnalyzerPropertyDependencies(urns=urns) for key, urns in spec.property_dependencies.items()
                },
            )
        )
    return request


def from_registrations(registrations: Sequence[Any]) -> list[ResourceSpec]:
    """Resources a program registered under the mock engine (``partner_attribution.offline.engine.RegisteredResource``)
    as the analyzer receives them: inputs, parent, dependencies and property dependencies."""
    return [
        ResourceSpec(
            urn=r.urn,
            type=r.type,
            name=r.name,
            inputs=dict(r.inputs),
            parent=r.parent,
            dependencies=list(r.dependencies),
            property_dependencies={k: list(v) for k, v in getattr(r, "property_dependencies", {}).items()},
        )
        for r in registrations
    ]


def urn(type_: str, name: str, stack: str = "dev", project: str = "contoso-landing-zone") -> str:
    """A resource URN (top-level resource)."""
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def level_name(level: int) -> str:
    """``advisory``, ``mandatory``, ... for an ``EnforcementLevel`` number."""
    return str(analyzer_pb2.EnforcementLevel.Name(level)).lower()  # type: ignore[arg-type]
