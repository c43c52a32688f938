"""The plugin's link diagnostics, sent to the engine to show with their resource.

The Pulumi CLI hides what a resource plugin writes to stderr (v3.276.0: a resource plugin other than the dynamic
provider's has its stderr lines logged at debug level only, ``reference/pulumi-engine/FACTS.md``), so a line the
dynamic provider prints would never reach the partner. The plugin sends it with the engine's ``Log`` call instead
(:func:`partner_attribution.partner_link.diagnostics_to`), as the SDK's ``pulumi.log`` does, naming the resource's
URN:

* a warning as severity ``WARNING``: shown with the resource and kept in the run's Diagnostics summary;
* a progress line (waiting on Entra or the network) as ``INFO`` with ``ephemeral`` set: the engine shows it as the
  resource's status while it lasts and leaves it out of the summary (v3.276.0's ``Log`` turns an ephemeral message
  into a status message; ``reference/pulumi-engine/FACTS.md``), so routine waits are not reported as warnings.

Each call waits at most :data:`LOG_TIMEOUT_SECONDS`; when the engine does not answer in time, or at all, the line goes
to stderr (as the dynamic provider's does), so a link never hangs on its own diagnostics.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..partner_link import LinkDiagnostic

LOG_TIMEOUT_SECONDS = 10.0
"""How long one ``Log`` call may take before the line goes to stderr instead."""


class EngineLog:
    """The engine's ``Log`` service at ``address`` (the plugin's first argument); None: every line goes to stderr."""

    def __init__(self, address: str | None, *, timeout_seconds: float = LOG_TIMEOUT_SECONDS) -> None:
        self._address = address
        self._timeout_seconds = timeout_seconds
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

    def show(self, urn: str, message: str, kind: LinkDiagnostic) -> None:
        """Show ``message`` with the resource ``urn``: a ``warning`` as a warning, ``progress`` as the resource's
        passing status; on stderr when there is no engine to tell or it does not answer within the timeout."""
        engine = self._engine()
        if engine is not None:
            from pulumi.runtime.proto import engine_pb2

            progress = kind == "progress"
            request = engine_pb2.LogRequest(
                severity=engine_pb2.INFO if progress else engine_pb2.WARNING, message=message, urn=urn, ephemeral=progress
            )
            try:
                engine.Log(request, timeout=self._timeout_seconds)
                return
            except Exception:  # noqa: BLE001 - the engine went away or is stuck: the line still goes somewhere
                pass
        print(f"warning: {message}", file=sys.stderr, flush=True)
