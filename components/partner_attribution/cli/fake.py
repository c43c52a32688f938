"""``fake-azure start|stop``: the local fake of Entra and ARM as a background process, for trying ``link``, ``show``,
``verify`` and ``unlink`` with no Azure.

``start`` prints, on stdout, the shell lines that point those commands at the fake (``eval "$(partner-attribution
fake-azure start)"``); ``stop`` prints the lines that put the variables back. The process itself is
:mod:`partner_attribution.testing.fake.process`.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .options import ARM_ENDPOINT_VARIABLE, AUTHORITY_HOST_VARIABLE, ReplicationDelayOption
from .output import ExitCode, console, fail, interruptible

if TYPE_CHECKING:
    from ..testing.fake.process import RunningFakeAzure

STATE_DIR_VARIABLE = "PARTNER_ATTRIBUTION_FAKE_AZURE_DIR"
"""Where the running fake keeps its state; exported by ``start`` so ``stop`` finds it from any directory."""
SECRET_VARIABLES = frozenset({"AZURE_CLIENT_SECRET"})
"""Variables whose earlier value is never written to disk: ``stop`` unsets them and says to set them again."""
PREVIOUS_ENVIRONMENT = "previous-environment.json"
"""In the state directory: the exported variables' values before ``start``, which ``stop`` puts back (again at every
``stop``, so a shell whose fake is gone can still be cleaned up); written anew by the next ``start``."""
LOOPBACK = "127.0.0.1,localhost"

app = typer.Typer(
    name="fake-azure",
    help="A local fake of Entra ID and Azure Resource Manager (PAL) to try link, show, verify and unlink with no Azure.",
    no_args_is_help=True,
)

StateDirOption = Annotated[
    Path,
    typer.Option(
        "--state-dir",
        envvar=STATE_DIR_VARIABLE,
        help="Where the fake keeps its state: address, CA bundle, log, the fake identity (readable by you only).",
    ),
]


def fake_environment(running: RunningFakeAzure, no_proxy: str | None) -> dict[str, str]:
    """The variables that make ``link``, ``show``, ``verify`` and ``unlink`` sign in as the fake's identity, at the fake,
    trusting its CA. ``no_proxy``: the value ``NO_PROXY`` had, kept after the loopback addresses."""
    return {
        "AZURE_TENANT_ID": running.identity.tenant_id,
        "AZURE_CLIENT_ID": running.identity.client_id,
        "AZURE_CLIENT_SECRET": running.identity.client_secret,
        AUTHORITY_HOST_VARIABLE: running.authority_host,
        ARM_ENDPOINT_VARIABLE: running.arm_endpoint,
        "REQUESTS_CA_BUNDLE": running.ca_bundle,
        "NO_PROXY": f"{LOOPBACK},{no_proxy}" if no_proxy and not no_proxy.startswith(LOOPBACK) else (no_proxy or LOOPBACK),
        STATE_DIR_VARIABLE: running.state_dir,
    }


def _require_testing_extra() -> None:
    """The fake's CA is made with trustme, which comes with the ``testing`` extra: say how to install it."""
    import importlib.util

    if importlib.util.find_spec("trustme") is None:
        fail(
            "the fake of Azure needs the 'testing' extra (trustme is missing): pip install -e '.[testing]' in a clone, "
            "or pip install 'partner-attribution[testing]'",
            ExitCode.USAGE,
        )


def _exports(variables: dict[str, str]) -> str:
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in variables.items())


@app.command()
@interruptible
def start(state_dir: StateDirOption = Path(".fake-azure"), replication_delay: ReplicationDelayOption = 0.0) -> None:
    """Start the fake in the background (127.0.0.1 only) with one service principal, and print what to export.

    The identity is an app with a secret in a tenant of the fake's own; the secret (fake-secret-...) works only
    against this fake. Started already: prints the same lines again (the running fake keeps its own settings).
    With --replication-delay, the identity itself is new to Entra: it signs in only that many seconds after start.

    Example: eval "$(partner-attribution fake-azure start)"
    """
    _require_testing_extra()
    from ..testing.fake import process

    try:
        running, started = process.start(state_dir, replication_delay=replication_delay)
    except process.FakeAzureProcessError as exc:
        fail(str(exc))
    previous_path = Path(running.state_dir) / PREVIOUS_ENVIRONMENT
    if started:
        _record_previous(previous_path, list(fake_environment(running, None)))
    previous, _ = _read_previous(previous_path)
    sys.stdout.write(_exports(fake_environment(running, previous.get("NO_PROXY"))))
    err = console(stderr=True)
    err.print(
        f"fake Azure {'started' if started else 'already running'} on {running.base_url} (process {running.pid}); "
        f"state in {running.state_dir}. Signed in as client {running.identity.client_id} with the fake's own secret.",
        markup=False,
    )
    if sys.stdout.isatty():
        err.print('Set these variables in your shell with: eval "$(partner-attribution fake-azure start)"', markup=False)
    err.print('Stop it with: eval "$(partner-attribution fake-azure stop)"', markup=False)


def _record_previous(path: Path, names: list[str]) -> None:
    """Keep the values ``names`` have now, for ``stop``; a secret only as "was set" (:data:`SECRET_VARIABLES`)."""
    document = {
        "variables": {name: None if name in SECRET_VARIABLES else os.environ.get(name) for name in names},
        "secretsThatWereSet": sorted(name for name in SECRET_VARIABLES & set(names) if os.environ.get(name)),
    }
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        json.dump(document, stream, indent=2)


def _read_previous(path: Path) -> tuple[dict[str, str | None], list[str]]:
    """What ``start`` recorded: the variables' earlier values, and the secrets that were set (empty: nothing recorded)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, []
    if not isinstance(document, dict) or not isinstance(document.get("variables"), dict):
        return {}, []
    variables = {str(k): v if isinstance(v, str) else None for k, v in document["variables"].items()}
    secrets = document.get("secretsThatWereSet")
    return variables, [str(name) for name in secrets] if isinstance(secrets, list) else []


@app.command()
@interruptible
def stop(state_dir: StateDirOption = Path(".fake-azure")) -> None:
    """Stop the fake and print the lines that put the variables 'start' exported back as they were.

    Example: eval "$(partner-attribution fake-azure stop)"
    """
    from ..testing.fake import process

    try:
        stopped = process.stop(state_dir)
    except process.FakeAzureProcessError as exc:
        fail(str(exc))
    previous_path = state_dir.resolve() / PREVIOUS_ENVIRONMENT
    previous, secrets_that_were_set = _read_previous(previous_path)
    if stopped is not None and not previous:
        previous = dict.fromkeys(fake_environment(stopped, None))
    sys.stdout.write(
        "".join(
            f"export {name}={shlex.quote(value)}\n" if value is not None else f"unset {name}\n"
            for name, value in previous.items()
        )
    )
    err = console(stderr=True)
    for name in secrets_that_were_set:
        err.print(f"{name} was set before 'fake-azure start' and its value is not kept on disk: set it again", markup=False)
    if stopped is None:
        err.print(f"no fake Azure was running for {state_dir.resolve()}", markup=False)
    else:
        err.print(f"fake Azure stopped (process {stopped.pid})", markup=False)
