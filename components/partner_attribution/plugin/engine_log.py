"""Warnings of the plugin's links, sent to the engine to show with their resource.

The Pulumi CLI hides what a resource plugin writes to stderr (v3.276.0: a resource plugin other than the dynamic
provider's has its stderr lines logged at debug level only, ``reference/pulumi-engine/FACTS.md``), so a warning the
dynamic provider prints would never reach the partner. The plugin sends it with the engine's ``Log`` call instead
(:func:`partner_attribution.partner_link.warnings_to`), as the SDK's ``pulumi.log.warn`` does, naming the resource's
URN so the CLI shows it with the resource.
"""

from __future__ import annotations

import sys
import threading
from typing import Any


class EngineLog:
    """The engine's ``Log`` service at ``address`` (the plugin's first argument); None: warnings go to stderr."""

    def __init__(self, address: str | None) -> None:
        self._address = address
        self._stub: Any = None
        self._connecting = threading.Lock()

    def _engine(self) -> Any:
        with self._connecting:
            if self._stub is None and self._address:
                import grpc
                from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
                from pulumi.runtime.proto import engine_pb2_grpc

                channel = grpc.insecure_channel(self._address, options=_GRPC_CHANNEL_OPTIONS)
                self._stub = engine_pb2_grpc.EngineStub(channel)  # type: ignore[no-untyped-call]
            return self._stub

    def warn(self, urn: str, message: str) -> None:
        """Show ``message`` as a warning of the resource ``urn``; on stderr when there is no engine to tell."""
        engine = self._engine()
        if engine is not None:
            from pulumi.runtime.proto import engine_pb2

            try:
                engine.Log(engine_pb2.LogRequest(severity=engine_pb2.WARNING, message=message, urn=urn))
                return
            except Exception:  # noqa: BLE001 - the engine went away: the warning still goes somewhere
                pass
        print(f"warning: {message}", file=sys.stderr, flush=True)
