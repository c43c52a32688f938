"""Drive a Pulumi dynamic provider the way the engine does: through the SDK's own provider host
(``python -m pulumi.dynamic``, a gRPC server) in a separate process.

The host loads the provider from the ``__provider`` property (a dill pickle), so the process must
be able to import the provider's module from its installed package: start it in a directory of
its own, with no ``PYTHONPATH``, and nothing else is on its path.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import grpc
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc


class ProviderCallError(RuntimeError):
    """The provider answered a call with an error; ``details`` is what the engine would print."""

    def __init__(self, method: str, details: str) -> None:
        self.method = method
        self.details = details
        super().__init__(f"{method} failed: {details}")


def _struct(props: dict[str, Any]) -> Any:
    # A loop of its own: asyncio.run() would also clear the thread's current loop, which the SDK's mock engine uses.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


def _plain(struct: Any) -> dict[str, Any]:
    return dict(rpc.deserialize_properties(struct, keep_unknowns=True))


class DynamicProviderHost:
    """A ``python -m pulumi.dynamic`` process and a gRPC client speaking the engine's protocol."""

    def __init__(
        self, env: dict[str, str] | None = None, python: str = sys.executable, module: tuple[str, ...] = ("pulumi.dynamic",)
    ) -> None:
        """Start ``python -m <module...>`` (default: the SDK's dynamic provider host; the fake plugins are
        ``("partner_attribution.testing.plugins", "azuread", "127.0.0.1:0")``)."""
        self._dir = tempfile.TemporaryDirectory(prefix="dynamic-host-")
        self.stderr_path = Path(self._dir.name) / "stderr.log"
        child_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        child_env.update(env or {})
        self._stderr = self.stderr_path.open("wb")
        self.process = subprocess.Popen(
            [python, "-u", "-I", "-m", *module],  # -u as Pulumi's launcher (pulumi-resource-pulumi-python)
            cwd=self._dir.name,
            env=child_env,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        assert self.process.stdout is not None
        port = self.process.stdout.readline().decode().strip()
        if not port.isdigit():
            self.close()
            raise RuntimeError(f"the dynamic provider host did not start: {self.stderr()}")
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def close(self) -> None:
        if getattr(self, "channel", None) is not None:
            self.channel.close()
        self.process.kill()
        self.process.wait(timeout=10)
        self._stderr.close()
        self._dir.cleanup()

    def __enter__(self) -> DynamicProviderHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, request: Any) -> Any:
        try:
            return getattr(self.stub, method)(request)
        except grpc.RpcError as exc:
            raise ProviderCallError(method, exc.details() or str(exc)) from None

    # The engine's calls, in the order it makes them.
    def configure(self, config: dict[str, Any] | None = None) -> bool:
        response = self._call("Configure", provider_pb2.ConfigureRequest(args=_struct(config or {}), acceptSecrets=True))
        return bool(response.acceptSecrets)

    def check(self, urn: str, olds: dict[str, Any], news: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        response = self._call("Check", provider_pb2.CheckRequest(urn=urn, olds=_struct(olds), news=_struct(news)))
        return _plain(response.inputs), [(f.property, f.reason) for f in response.failures]

    def diff(self, urn: str, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        return self._call("Diff", provider_pb2.DiffRequest(urn=urn, id=id_, olds=_struct(olds), news=_struct(news)))

    def create(self, urn: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        response = self._call("Create", provider_pb2.CreateRequest(urn=urn, properties=_struct(props)))
        return response.id, _plain(response.properties)

    def read(self, urn: str, id_: str, props: dict[str, Any], inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        response = self._call(
            "Read", provider_pb2.ReadRequest(urn=urn, id=id_, properties=_struct(props), inputs=_struct(inputs))
        )
        return response.id, _plain(response.properties)

    def update(self, urn: str, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        response = self._call("Update", provider_pb2.UpdateRequest(urn=urn, id=id_, olds=_struct(olds), news=_struct(news)))
        return _plain(response.properties)

    def delete(self, urn: str, id_: str, props: dict[str, Any]) -> None:
        self._call("Delete", provider_pb2.DeleteRequest(urn=urn, id=id_, properties=_struct(props)))
