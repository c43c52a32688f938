"""The plugin's gRPC server: Pulumi's provider server (``pulumi.provider.experimental.server``) with errors as
messages only.

Pulumi's server appends the Python stack of every failure to the message the engine shows; a partner running
``pulumi up`` needs what failed and what to do, not the plugin's frames. :class:`MessageOnlyServicer` answers each
failure with the original exception's message alone (scrubbed of anything that looks like a token), as a gRPC status
the engine prints as the resource's error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import grpc.aio
from pulumi.provider.experimental.server import ComponentInitError, ProviderServicer
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import provider_pb2_grpc

from ..pal.errors import scrub

SERVED = ("Construct", "Call", "GetSchema", "CheckConfig", "DiffConfig", "Configure", "Invoke",
          "Check", "Diff", "Create", "Read", "Update", "Delete")  # fmt: skip
"""The RPCs whose failures are answered with a message only."""


def original_error(exc: BaseException) -> BaseException:
    """The exception the provider raised: Pulumi's server re-raises it as a plain ``Exception`` carrying the stack,
    from inside its ``except`` block (so the original is the new one's ``__context__``), and wraps a component's in
    :class:`ComponentInitError`."""
    seen = exc
    if type(seen) is Exception and seen.__context__ is not None:
        seen = seen.__context__
    if isinstance(seen, ComponentInitError):
        seen = seen.inner
    return seen


def error_message(exc: BaseException) -> str:
    """What the engine shows for a failure: the original message, no stack frames, no token or assertion."""
    original = original_error(exc)
    text = str(original).strip()
    if isinstance(original, (ValueError, RuntimeError, LookupError)) and text:
        return scrub(text)
    return scrub(f"{type(original).__name__}: {text}" if text else type(original).__name__)


def _message_only(name: str) -> Callable[..., Awaitable[Any]]:
    served = getattr(ProviderServicer, name)

    async def method(self: ProviderServicer, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        try:
            return await served(self, request, context)
        except (grpc.aio.AbortError, NotImplementedError):
            raise
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            await context.abort(grpc.StatusCode.UNKNOWN, error_message(exc))

    method.__name__ = name
    method.__doc__ = f"{name}, its failures answered with their message only."
    return method


class MessageOnlyServicer(ProviderServicer):
    """Pulumi's provider servicer whose failures carry the message, not the plugin's stack."""


for _name in SERVED:
    setattr(MessageOnlyServicer, _name, _message_only(_name))


def engine_address(args: list[str]) -> str:
    """The engine's address: the first of the plugin's ``args`` (its flags are ignored)."""
    parser = argparse.ArgumentParser(description="partner-attribution Pulumi provider plugin (gRPC server)")
    parser.add_argument("engine", help="the Pulumi engine's address")
    parser.add_argument("--logflow", action="store_true", help="ignored")
    parser.add_argument("--logtostderr", action="store_true", help="ignored")
    parser.add_argument("-v", type=int, default=0, help="ignored")
    known, _ = parser.parse_known_args(args)
    return str(known.engine)


def serve(args: list[str], version: str, provider: Any) -> None:
    """Serve ``provider`` to the engine whose address is the first of ``args`` (as ``server.main`` does): print
    the port on stdout, then answer until the engine goes away."""
    engine = engine_address(args)

    async def run() -> None:
        server = grpc.aio.server(options=_GRPC_CHANNEL_OPTIONS)
        servicer = MessageOnlyServicer(args, version, provider, engine_address=engine)
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]
        port = server.add_insecure_port(address="127.0.0.1:0")
        await server.start()
        sys.stdout.buffer.write(f"{port}\n".encode())
        sys.stdout.buffer.flush()
        await server.wait_for_termination()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
