"""The fake of Entra and ARM (:class:`~.server.FakeAzure`) as a background process: start it, find it, stop it.

``partner-attribution fake-azure start`` uses it; so can any tool that needs a fake Azure outliving one command.
One fake per *state directory*, which holds:

* ``fake-azure.json``: where it listens, its process ID and the identity it was seeded with (an app with an
  obviously fake secret, in a tenant of its own), written only once the server answers;
* ``ca-bundle.pem``: the CA bundle to trust it with: the one ``requests`` trusted when the fake started (``certifi``'s,
  or ``REQUESTS_CA_BUNDLE``'s) plus the fake's own CA, so other HTTPS keeps working with it exported;
* ``fake-azure.log``: what the process printed.

The server listens on 127.0.0.1 only. The process serves until it gets SIGTERM (:func:`stop`) or SIGINT, then removes
``fake-azure.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

STATE_FILE = "fake-azure.json"
CA_BUNDLE = "ca-bundle.pem"
LOG_FILE = "fake-azure.log"
MODULE = "partner_attribution.testing.fake.process"
"""What the process runs (``python -m``); also how :func:`find` recognises it in the process table."""


class FakeAzureProcessError(RuntimeError):
    """The background fake could not be started or stopped; the message says why and where its log is."""


@dataclass(frozen=True)
class SeededIdentity:
    """The service principal the fake was started with: what ``AZURE_TENANT_ID``/``AZURE_CLIENT_ID``/
    ``AZURE_CLIENT_SECRET`` sign in as. The secret is the fake's own (``fake-secret-…``), valid nowhere else."""

    tenant_id: str
    client_id: str
    object_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class RunningFakeAzure:
    """A fake running in the background, as its state directory describes it."""

    pid: int
    base_url: str
    """``https://127.0.0.1:<port>``: the authority host and the ARM endpoint at once."""
    ca_bundle: str
    identity: SeededIdentity
    state_dir: str

    @property
    def authority_host(self) -> str:
        return self.base_url

    @property
    def arm_endpoint(self) -> str:
        return self.base_url

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, document: dict[str, object]) -> RunningFakeAzure:
        identity = document["identity"]
        if not isinstance(identity, dict):
            raise ValueError("identity must be an object")
        return cls(
            pid=int(str(document["pid"])),
            base_url=str(document["base_url"]),
            ca_bundle=str(document["ca_bundle"]),
            identity=SeededIdentity(**{key: str(value) for key, value in identity.items()}),
            state_dir=str(document["state_dir"]),
        )


def _state_path(state_dir: Path) -> Path:
    return state_dir / STATE_FILE


def _is_fake_process(pid: int) -> bool:
    """``pid`` is alive and runs this module: a process ID reused by another program is never taken for the fake (nor
    sent a signal). The command line comes from ``/proc`` where there is one, else from ``ps``."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # someone else's process: not a fake this user started
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        if cmdline.exists():
            return MODULE.encode() in cmdline.read_bytes()
        shown = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, check=False)
    except OSError:
        return False
    return MODULE.encode() in shown.stdout


def find(state_dir: Path) -> RunningFakeAzure | None:
    """The fake running for ``state_dir``, or None (a state file left by a process that is gone is removed)."""
    path = _state_path(state_dir)
    try:
        running = RunningFakeAzure.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FakeAzureProcessError(f"{path} is not a fake's state file ({exc}); remove it") from None
    if _is_fake_process(running.pid):
        return running
    path.unlink(missing_ok=True)
    return None


def start(state_dir: Path, *, timeout: float = 60.0, replication_delay: float = 0.0) -> tuple[RunningFakeAzure, bool]:
    """Start a fake for ``state_dir`` in the background, or find the one already running there.

    ``replication_delay``: Entra's replication delay of the fake (:class:`~.server.FakeAzure`), its seeded identity
    included (it signs in that many seconds after the start). Returns it and whether it was started now. Waits until
    it serves (its state file appears), at most ``timeout`` seconds; a process that exits first, or is not serving by
    then, is a :class:`FakeAzureProcessError` quoting its log."""
    state_dir = state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    running = find(state_dir)
    if running is not None:
        return running, False
    log_path = state_dir / LOG_FILE
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", MODULE, "--state-dir", str(state_dir), "--replication-delay", repr(float(replication_delay))],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # not stopped by the terminal's Ctrl-C, not waited for by "$(...)"
            close_fds=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = find(state_dir)
        if running is not None and running.pid == process.pid:
            return running, True
        if process.poll() is not None:
            raise FakeAzureProcessError(f"the fake exited with {process.returncode} before serving: {_log_tail(log_path)}")
        time.sleep(0.05)
    process.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(10)
    raise FakeAzureProcessError(f"the fake was not serving after {timeout:.0f}s: {_log_tail(log_path)}")


def stop(state_dir: Path, *, timeout: float = 30.0) -> RunningFakeAzure | None:
    """Stop the fake running for ``state_dir`` (SIGTERM, then wait until it has cleaned up). Returns what was stopped,
    or None when none was running."""
    state_dir = state_dir.resolve()
    running = find(state_dir)
    if running is None:
        return None
    with contextlib.suppress(ProcessLookupError):
        os.kill(running.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _has_exited(running.pid):
            _state_path(state_dir).unlink(missing_ok=True)
            return running
        time.sleep(0.05)
    raise FakeAzureProcessError(f"the fake (process {running.pid}) did not stop within {timeout:.0f}s")


def _has_exited(pid: int) -> bool:
    """The fake ``pid`` has exited: reaped, when this process started it (so no zombie is left), else gone from the
    process table."""
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # started by another process (the usual case: a CLI that has exited)
        return not _is_fake_process(pid)
    return reaped == pid


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text[-lines:]) or f"(empty log {path})"


def _trusted_bundle() -> bytes:
    """The CA certificates ``requests`` trusts in this environment: ``REQUESTS_CA_BUNDLE``'s file, or certifi's."""
    configured = os.environ.get("REQUESTS_CA_BUNDLE")
    if configured and Path(configured).is_file():
        return Path(configured).read_bytes()
    import certifi

    return Path(certifi.where()).read_bytes()


def _write_private(path: Path, data: bytes) -> None:
    """Write ``path`` readable by this user only, atomically (a reader sees the whole file or none)."""
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(data)
    os.replace(partial, path)


def serve(state_dir: Path, replication_delay: float = 0.0) -> None:
    """Run a fake until SIGTERM or SIGINT: seed a tenant with one app and a secret, write the CA bundle and then the
    state file, serve, and remove the state file on the way out."""
    from .server import FakeAzure

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    bundle = state_dir / CA_BUNDLE
    path = _state_path(state_dir)
    with FakeAzure(replication_delay=replication_delay) as azure:
        app = azure.add_app(ready_after=azure.app_ready_after)
        secret = azure.add_secret(app, ready_after=azure.secret_ready_after)
        _write_private(bundle, _trusted_bundle().rstrip(b"\n") + b"\n" + Path(azure.ca_bundle).read_bytes())
        running = RunningFakeAzure(
            pid=os.getpid(),
            base_url=azure.base_url,
            ca_bundle=str(bundle),
            identity=SeededIdentity(app.tenant_id, app.client_id, app.object_id, secret),
            state_dir=str(state_dir),
        )
        _write_private(path, json.dumps(running.to_json(), indent=2).encode())
        print(f"fake Azure serving on {azure.base_url} (process {os.getpid()})", flush=True)
        try:
            while not stopping.wait(1.0):
                pass
        finally:
            path.unlink(missing_ok=True)
    print("fake Azure stopped", flush=True)


def main(argv: list[str] | None = None) -> None:
    """``python -m partner_attribution.testing.fake.process --state-dir DIR``: what :func:`start` runs."""
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description="Serve a fake of Entra and ARM until SIGTERM.")
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--replication-delay", type=float, default=0.0, metavar="SECONDS")
    arguments = parser.parse_args(argv)
    serve(arguments.state_dir.resolve(), arguments.replication_delay)


if __name__ == "__main__":
    main()
