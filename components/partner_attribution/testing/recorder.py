"""Record what the engine sends the PAL link's provider: the SDK's own dynamic provider host, unchanged, with each
gRPC request and its answer written as one JSON line (``google.protobuf.json_format``).

``python -m partner_attribution.testing.recorder`` runs ``python -m pulumi.dynamic`` (the module the engine's
``pulumi-resource-pulumi-python`` launcher starts) with its servicer wrapped as it is registered with the gRPC server;
each call is appended to ``requests.jsonl`` in the folder named by :data:`RECORD_FOLDER_VARIABLE`. How the engine gets
to start it: :func:`recording_python` writes an interpreter wrapper for ``PULUMI_PYTHON_CMD`` that starts this module
in place of ``-m pulumi.dynamic``. ``scripts/record_engine_requests.py`` records a whole lifecycle with it; the
recordings are replayed in ``tests/test_recorded_requests.py``.
"""

from __future__ import annotations

import json
import os
import runpy
import shlex
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from google.protobuf import json_format

RECORD_FOLDER_VARIABLE = "PARTNER_ATTRIBUTION_RECORD_FOLDER"
"""Folder the recording host appends ``requests.jsonl`` to."""
RECORDED_METHODS = ("Configure", "Check", "Diff", "Create", "Read", "Update", "Delete")
"""The provider methods whose requests are recorded (GetPluginInfo and the like carry nothing of the link)."""
RECORD_FILE = "requests.jsonl"
ONE_LINK_PRINCIPAL = {
    "tenant_id": "9a2c6f3e-0b1d-4c5e-8f70-1a2b3c4d5e6f",
    "client_id": "55555555-5555-4555-8555-555555555555",
    "object_id": "66666666-6666-4666-8666-666666666666",
    "client_secret": "fake-secret-of-the-recorded-one-link",
    "partner_id": "1234567",
}
"""The principal of the recorded ``one-link`` program, in the fake Azure: fixed, so the recordings of its Create, Read,
Update and Delete replay against a fresh fake that knows it."""
DRIFT_PARTNER_ID = "7654321"
"""The partner ID another partner re-points a link to before the recorded drifted preview."""

_lock = threading.Lock()


def _as_json(message: Any) -> Any:
    return json_format.MessageToDict(message, preserving_proto_field_name=True) if message is not None else None


class RecordingServicer:
    """The host's servicer, with each recorded call written to ``folder`` before its answer is returned."""

    def __init__(self, servicer: Any, folder: Path) -> None:
        self._servicer = servicer
        self._file = folder / RECORD_FILE

    def _write(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, sort_keys=True) + "\n"
        with _lock, self._file.open("a", encoding="utf-8") as out:
            out.write(line)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._servicer, name)
        if name not in RECORDED_METHODS:
            return method

        def recorded(request: Any, context: Any) -> Any:
            entry: dict[str, Any] = {"method": name, "request": _as_json(request)}
            try:
                response = method(request, context)
            except BaseException:
                entry["error"] = _details(context)
                self._write(entry)
                raise
            failed = _details(context)
            entry["error" if failed else "response"] = failed or _as_json(response)
            self._write(entry)
            return response

        return recorded


def _details(context: Any) -> str | None:
    """The error a call answered with (the host aborts, or the provider sets it), or None."""
    code = context.code() if hasattr(context, "code") else None
    if code is None or getattr(code, "name", "OK") == "OK":
        return None
    details = context.details() if hasattr(context, "details") else b""
    return details.decode(errors="replace") if isinstance(details, bytes) else str(details or "")


def main() -> None:
    """Run the SDK's dynamic provider host with its servicer recorded."""
    folder = Path(os.environ[RECORD_FOLDER_VARIABLE])
    folder.mkdir(parents=True, exist_ok=True)
    from pulumi.runtime.proto import provider_pb2_grpc

    register: Callable[[Any, Any], None] = provider_pb2_grpc.add_ResourceProviderServicer_to_server

    def register_recorded(servicer: Any, server: Any) -> None:
        register(RecordingServicer(servicer, folder), server)

    provider_pb2_grpc.add_ResourceProviderServicer_to_server = register_recorded  # type: ignore[assignment]
    runpy.run_module("pulumi.dynamic", run_name="__main__", alter_sys=True)


def recording_python(folder: Path, python: str = sys.executable) -> Path:
    """An interpreter for ``PULUMI_PYTHON_CMD`` that starts this module where the launcher asks for
    ``-m pulumi.dynamic``, and is ``python`` otherwise. Written into ``folder``; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "python-recording"
    path.write_text(
        "#!/bin/sh\n"
        "# PULUMI_PYTHON_CMD for recording: the dynamic provider host, recorded (partner_attribution.testing.recorder).\n"
        'if [ "$1" = "-u" ] && [ "$2" = "-m" ] && [ "$3" = "pulumi.dynamic" ]; then\n'
        "  shift 3\n"
        f'  exec {shlex.quote(python)} -u -m partner_attribution.testing.recorder "$@"\n'
        "fi\n"
        f'exec {shlex.quote(python)} "$@"\n'
    )
    path.chmod(0o755)
    return path


if __name__ == "__main__":
    main()
