"""Run Pulumi programs under the real engine against the fake Azure: the CLI, an offline and quiet environment,
the fake provider plugins, and the Automation API with an inline program.

* :func:`find_pulumi` finds a recent enough ``pulumi`` on ``PATH``, else the one ``scripts/pulumi-toolchain.sh``
  built into its cache (building it when asked and Go is there).
* :class:`FakeDeployment` starts the fake Azure with a deploying identity, writes the fake plugins' launchers,
  and gives the environment the CLI runs in: a file backend and ``PULUMI_HOME`` in a folder of its own, a
  passphrase, no update check, no plugin downloads, no registry look-ups, ``PULUMI_PYTHON_CMD`` (the dynamic
  provider's launcher runs this interpreter: on the inline path the project's virtualenv is not passed to it),
  and Azure's public endpoints sent to the fake through its proxy (the PAL link, unchanged, signs in there).
* :meth:`FakeDeployment.stack` opens a stack of a project folder (its ``Pulumi.yaml`` and ``Pulumi.<stack>.yaml``)
  with a Python program served inline by the Automation API.

The variables, with where Pulumi defines them (pulumi/pulumi @ v3.276.0): ``PULUMI_SKIP_UPDATE_CHECK``,
``PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION``, ``PULUMI_DISABLE_REGISTRY_RESOLVE``, ``PULUMI_BACKEND_URL`` and
``PULUMI_HOME`` in ``sdk/go/common/env/env.go`` (``SkipUpdateCheck``, ``DisableAutomaticPluginAcquisition``,
``DisableRegistryResolve``, ``BackendURL``, ``Home``; the ``PULUMI_`` prefix is added by ``sdk/go/common/util/env``);
``PULUMI_CONFIG_PASSPHRASE`` in ``pkg/secrets/passphrase/manager.go``; ``PULUMI_PYTHON_CMD`` in
``sdk/python/dist/pulumi-resource-pulumi-python``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..pal.federation import TOKEN_SOURCE_VARIABLES
from .fake import FakeApp, FakeAzure
from .plugins import write_launchers
from .plugins.provider import FAKE_URL_VARIABLE

PULUMI_VERSION = "v3.276.0"
"""The CLI ``scripts/pulumi-toolchain.sh`` builds (the README says why not the SDK's 3.272.0)."""
MINIMUM_VERSION = (3, 227, 0)
"""The oldest CLI the drift workflows support (exit code 7 with ``--expect-no-changes``, docs/drift.md)."""
PIPELINE_TOKEN_VARIABLES = TOKEN_SOURCE_VARIABLES
"""Where the PAL link looks for a pipeline token (pal/federation.py): blanked for the engine, so a real runner's
token never reaches the fake; a run that wants one gives the fake's stand-in (``FakeAzure.github_actions_environment``)."""
PASSPHRASE = "partner-attribution-rehearsal"
"""The stacks' passphrase: they hold only the fake's values."""


def toolchain_root(version: str = PULUMI_VERSION) -> Path:
    """Where the toolchain script builds (``<root>/bin/pulumi``): ``$PARTNER_ATTRIBUTION_TOOLCHAIN`` or the cache."""
    configured = os.environ.get("PARTNER_ATTRIBUTION_TOOLCHAIN")
    if configured:
        return Path(configured)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "partner-attribution" / f"pulumi-{version}"


def _version_of(pulumi: Path) -> tuple[int, ...] | None:
    try:
        text = subprocess.run([str(pulumi), "version"], capture_output=True, text=True, timeout=60, check=False).stdout
    except OSError:
        return None
    match = re.match(r"v?(\d+)\.(\d+)\.(\d+)", text.strip())
    return tuple(int(p) for p in match.groups()) if match else None


def find_pulumi(*, build: bool = False, script: Path | None = None) -> Path | None:
    """The folder of a ``pulumi`` at least :data:`MINIMUM_VERSION`: on ``PATH``, else the toolchain's; with
    ``build``, run ``script`` (``scripts/pulumi-toolchain.sh``) to build it when Go is there. None if none."""
    on_path = shutil.which("pulumi")
    if on_path and (_version_of(Path(on_path)) or (0,)) >= MINIMUM_VERSION:
        return Path(on_path).resolve().parent
    built = toolchain_root() / "bin"
    if (built / "pulumi").exists() and (_version_of(built / "pulumi") or (0,)) >= MINIMUM_VERSION:
        return built
    if build and script is not None and shutil.which("go"):
        answer = subprocess.run(["bash", str(script)], stdout=subprocess.PIPE, text=True, check=False)
        if answer.returncode == 0 and (built / "pulumi").exists():
            return built
    return None


def dynamic_provider_launcher(folder: Path) -> Path:
    """Pulumi's ``pulumi-resource-pulumi-python`` in ``folder`` (written when the CLI came without it, as a CLI on
    PATH built from source does): runs ``$PULUMI_PYTHON_CMD -u -m pulumi.dynamic``."""
    path = folder / "pulumi-resource-pulumi-python"
    if not path.exists():
        path.write_text('#!/bin/sh\nexec "${PULUMI_PYTHON_CMD:-python3}" -u -m pulumi.dynamic "$@"\n')
        path.chmod(0o755)
    return path


@dataclass
class FakeDeployment:
    """The fake Azure with a deploying identity, the fake plugins, and the CLI's environment in ``root``."""

    pulumi_bin: Path
    root: Path
    fake: FakeAzure = field(default_factory=FakeAzure)
    tenant_id: str = "9a2c6f3e-0b1d-4c5e-8f70-1a2b3c4d5e6f"
    extra_env: dict[str, str] = field(default_factory=dict)
    deployer: FakeApp | None = None
    _deployer_secret: str = field(default="", repr=False)

    @property
    def backend_folder(self) -> Path:
        """The file backend the CLI keeps stacks' states in (``PULUMI_BACKEND_URL``): each at
        ``.pulumi/stacks/<project>/<stack>.json`` below it."""
        return self.root / "backend"

    @property
    def fake_state_file(self) -> Path:
        """Where the fake Azure's directory, links and resources are kept between runs in the same ``root``."""
        return self.root / "fake-azure.json"

    def start(self) -> FakeDeployment:
        """Start the fake (with what an earlier run in ``root`` left in it) and write the plugins' launchers."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.fake.start()
        self.fake.load(self.fake_state_file)
        self.fake.add_tenant(self.tenant_id)
        deployer_file = self.root / "deployer.json"
        known = json.loads(deployer_file.read_text()) if deployer_file.exists() else None
        if known is not None and known["client_id"] in self.fake.apps:
            self.deployer, self._deployer_secret = self.fake.apps[known["client_id"]], known["secret"]
        else:
            self.deployer = self.fake.add_app(self.tenant_id)
            self.deployer.application_object_id = self.deployer.object_id
            self.deployer.display_name = "deploying identity"
            self._deployer_secret = self.fake.add_secret(self.deployer)
            deployer_file.write_text(json.dumps({"client_id": self.deployer.client_id, "secret": self._deployer_secret}))
            deployer_file.chmod(0o600)
        self.backend_folder.mkdir(parents=True, exist_ok=True)
        (self.root / "home").mkdir(parents=True, exist_ok=True)
        plugins = self.root / "plugins"
        write_launchers(plugins)
        if not (self.pulumi_bin / "pulumi-resource-pulumi-python").exists():
            dynamic_provider_launcher(plugins)
        return self

    def stop(self) -> None:
        """Keep the fake's state in :attr:`fake_state_file`, then stop it."""
        self.fake.save(self.fake_state_file)
        self.fake.stop()

    def __enter__(self) -> FakeDeployment:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def environment(self) -> dict[str, str]:
        """What the CLI (and the plugins it starts) run with."""
        assert self.deployer is not None, "start() first"
        # Never this interpreter's bin folder (a virtualenv's, where the plugin's console script is): a partner's
        # `pulumi up` does not have it on PATH either, so the project's Pulumi.yaml must say where the plugin is.
        interpreter_bin = str(Path(sys.executable).parent)
        inherited = [entry for entry in os.environ.get("PATH", "").split(os.pathsep) if entry and entry != interpreter_bin]
        path = os.pathsep.join([str(self.root / "plugins"), str(self.pulumi_bin), *inherited])
        return {
            **dict.fromkeys(PIPELINE_TOKEN_VARIABLES, ""),
            **self.fake.environment(proxy=True),
            "PATH": path,
            "PULUMI_BACKEND_URL": f"file://{self.backend_folder}",
            "PULUMI_HOME": str(self.root / "home"),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_DISABLE_REGISTRY_RESOLVE": "true",
            "PULUMI_PYTHON_CMD": sys.executable,
            FAKE_URL_VARIABLE: self.fake.base_url,
            "ARM_CLIENT_ID": self.deployer.client_id,
            "ARM_CLIENT_SECRET": self._deployer_secret,
            "ARM_TENANT_ID": self.tenant_id,
            "ARM_SUBSCRIPTION_ID": "11111111-1111-4111-8111-111111111111",
            **self.extra_env,
        }

    def stack(self, work_dir: Path, stack_name: str, program: Callable[[], None]) -> Any:
        """The stack ``stack_name`` of the project in ``work_dir`` (created when new), its program inline (a problem
        it shows is printed once: :mod:`partner_attribution.testing.inline_program`)."""
        from pulumi import automation as auto

        from .inline_program import serve_inline_programs_with_problems_shown_once

        serve_inline_programs_with_problems_shown_once()

        command = auto.PulumiCommand(root=str(self.pulumi_bin.parent), skip_version_check=True)
        options = auto.LocalWorkspaceOptions(
            work_dir=str(work_dir),
            pulumi_home=str(self.root / "home"),
            env_vars=self.environment(),
            secrets_provider="passphrase",
            pulumi_command=command,
        )
        import yaml

        project_name = str((yaml.safe_load((work_dir / "Pulumi.yaml").read_text()) or {}).get("name"))
        # Inline: the project name and the program; the stack's own files are read from the options' work_dir.
        return auto.create_or_select_stack(stack_name, project_name=project_name, program=program, opts=options)

    def up_with_preview(self, work_dir: Path, stack_name: str, program: Callable[[], None]) -> subprocess.CompletedProcess[str]:
        """``pulumi up --yes`` with its own preview first, as a partner runs it (the Automation API's ``up`` passes
        ``--skip-preview``): the program is served inline by the Automation API's language server (a subclass of the
        SDK's private ``pulumi.automation._server.LanguageServer``, the one ``Stack.up`` starts, that shows a problem
        once), and the CLI is run with ``--client`` pointing at it. The stack must exist (:meth:`stack`)."""
        from concurrent import futures

        import grpc
        from pulumi.runtime.proto import language_pb2_grpc

        from .inline_program import ProblemShownOnceLanguageServer

        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        language_pb2_grpc.add_LanguageRuntimeServicer_to_server(ProblemShownOnceLanguageServer(program), server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        try:
            return self.cli(
                work_dir, "up", "--yes", "--stack", stack_name, f"--client=127.0.0.1:{port}", "--exec-kind", "auto.inline"
            )
        finally:
            server.stop(0)

    def cli(self, work_dir: Path, *args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run the CLI itself (e.g. ``stack export``) in ``work_dir`` with this environment."""
        return subprocess.run(
            [str(self.pulumi_bin / "pulumi"), *args, "--non-interactive"],
            cwd=work_dir,
            env={**os.environ, **self.environment(), **(env or {})},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )


def as_the_language_host_runs(program: Callable[[], None], project_dir: Path) -> Callable[[], None]:
    """``program`` run inline as the Python language host runs a project's program: from the project's folder, with
    the project's root given to the SDK (the host passes ``--root_directory``; ``pulumi.get_root_directory()``). The
    Automation API's inline server gives no root, and the program's check of where the engine finds the plugin
    (:mod:`partner_attribution.plugin.program_link`) reads the project's ``Pulumi.yaml`` from there."""
    from pulumi.runtime import settings

    def run() -> None:
        here = Path.cwd()
        os.chdir(project_dir)
        settings.SETTINGS.root_directory = str(project_dir)
        try:
            program()
        finally:
            os.chdir(here)

    return run


@contextlib.contextmanager
def dynamic_links() -> Iterator[None]:
    """While this lasts, :class:`~partner_attribution.component.DeliveryPrincipal` declares its link as releases 0.1
    and 0.2 did, through the Python dynamic provider (:class:`partner_attribution.partner_link.PartnerAdminLink`),
    not the plugin: for the benchmark and the recordings that compare with, or record, the dynamic provider."""
    from ..component import DeliveryPrincipal
    from ..partner_link import PartnerAdminLink

    declared = DeliveryPrincipal.link_resource
    DeliveryPrincipal.link_resource = PartnerAdminLink
    try:
        yield
    finally:
        DeliveryPrincipal.link_resource = declared


def new_root(prefix: str = "partner-attribution-engine-") -> Path:
    """A fresh folder for a deployment's backend, Pulumi home and plugins."""
    return Path(tempfile.mkdtemp(prefix=prefix))
