"""Record the gRPC requests the real Pulumi engine sends the PAL link's provider over a stack's lifecycle.

    .venv/bin/python scripts/record_engine_requests.py [--out tests/recordings]

Runs two programs with the built CLI (``scripts/pulumi-toolchain.sh``) against the fake Azure (``testing/engine.py``),
inline through the Automation API, and records what the dynamic provider host receives at each step
(``testing/recorder.py``) under ``<out>/<program>/<step>/``:

* ``example-stack``: the bundled program with the example stack (``Pulumi.dev.yaml``: federated and password links,
  an existing principal) and the fake ``azuread``/``azure-native`` plugins;
* ``one-link``: one ``PartnerAdminLink`` with a password, for a principal the fake knows (:data:`ONE_LINK`), so every
  method is recorded whatever the fake plugins can deploy.

The steps:

1. ``01-new-stack-preview``: ``pulumi preview`` of a stack with no state;
2. ``02-up``: ``pulumi up``;
3. ``03-no-change-preview``: ``pulumi preview`` right after;
4. ``04-refresh``: ``pulumi refresh``;
5. ``05-drifted-preview``: another partner re-points one link, then ``pulumi preview --refresh``;
6. ``06-destroy``: ``pulumi destroy``.

A step that fails stops its program (the steps before it stay recorded). Each step's folder gets ``requests.jsonl``
(one JSON object per call: method, request, and the response or error the provider answered) and ``README.md`` says
what ran. ``tests/test_recorded_requests.py`` replays them.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import uuid
from pathlib import Path

import yaml
from pulumi import automation as auto

from partner_attribution.plugin.locate import copied_project
from partner_attribution.testing.engine import FakeDeployment, find_pulumi, new_root
from partner_attribution.testing.fake.oidc import GITHUB_ISSUER
from partner_attribution.testing.recorder import (
    DRIFT_PARTNER_ID,
    ONE_LINK_PRINCIPAL,
    RECORD_FILE,
    RECORD_FOLDER_VARIABLE,
    recording_python,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
GITHUB_SUBJECT = "repo:contoso-partner/landing-zone:ref:refs/heads/main"
"""The example stack's linkFederation (Pulumi.dev.yaml): GitHub Actions on branch main."""
EXISTING_CLIENT_ID = "33333333-3333-4333-8333-333333333333"
EXISTING_OBJECT_ID = "44444444-4444-4444-8444-444444444444"
"""customer-automation's existingApplication in Pulumi.dev.yaml."""
DRIFTED_PRINCIPAL = "platform-delivery"
ONE_LINK = ONE_LINK_PRINCIPAL
OTHER_PARTNER = DRIFT_PARTNER_ID


class StepFailedError(Exception):
    """A step of the lifecycle failed under the engine; the steps before it are recorded."""

    def __init__(self, step: str, error: Exception) -> None:
        lines = [line for line in str(error).splitlines() if "error" in line.lower()]
        super().__init__(f"{step} failed: " + "\n".join(lines[:8]))
        self.step = step


def bundled_program() -> None:
    """The project's program, served inline (the language host can't be built here: reference/pulumi-engine), its
    links the dynamic provider's as in releases 0.1 and 0.2: what is recorded is the dynamic provider host's traffic
    (since 0.3 a Python program's links are the plugin's, tests/engine/test_upgrade.py)."""
    from partner_attribution.program import main
    from partner_attribution.testing.engine import dynamic_links

    with dynamic_links():
        main()


def one_link_program() -> None:
    """One PAL link, signing in with a password (a Pulumi secret), for the principal :data:`ONE_LINK`."""
    import pulumi

    from partner_attribution.partner_link import PartnerAdminLink, PartnerAdminLinkArgs

    PartnerAdminLink(
        "delivery-pal",
        PartnerAdminLinkArgs(
            partner_id=ONE_LINK["partner_id"],
            tenant_id=ONE_LINK["tenant_id"],
            client_id=ONE_LINK["client_id"],
            client_secret=pulumi.Output.secret(ONE_LINK["client_secret"]),
            timeout_seconds=60,
        ),
    )


def record(out: Path, pulumi_bin: Path, program: str) -> list[str]:
    """Run ``program``'s lifecycle, writing each step's requests under ``out/program``; returns the steps' names."""
    root = new_root("record-engine-requests-")
    steps: list[str] = []
    try:
        with FakeDeployment(pulumi_bin, root / "engine") as deployment:
            fake = deployment.fake
            work_dir = root / "project"
            work_dir.mkdir()
            if program == "example-stack":
                existing = fake.add_app(deployment.tenant_id, client_id=EXISTING_CLIENT_ID, object_id=EXISTING_OBJECT_ID)
                existing.application_object_id = str(uuid.uuid4())
                existing.display_name = "Contoso automation"
                fake.add_federated_credential(existing, GITHUB_ISSUER, GITHUB_SUBJECT)
                deployment.extra_env.update(fake.github_actions_environment(GITHUB_SUBJECT))
                project = copied_project(PROJECT_ROOT, yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text()))
                (work_dir / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
                shutil.copy(PROJECT_ROOT / "Pulumi.dev.yaml", work_dir / "Pulumi.dev.yaml")
                run = bundled_program
            else:
                app = fake.add_app(ONE_LINK["tenant_id"], client_id=ONE_LINK["client_id"], object_id=ONE_LINK["object_id"])
                fake.add_secret(app, value=ONE_LINK["client_secret"])
                (work_dir / "Pulumi.yaml").write_text("name: partner-attribution-one-link\nruntime: python\n")
                (work_dir / "Pulumi.dev.yaml").write_text("config: {}\n")
                run = one_link_program
            deployment.extra_env["PULUMI_PYTHON_CMD"] = str(recording_python(root / "recorder"))
            stack = deployment.stack(work_dir, "dev", run)

            def step(name: str, what: str) -> None:
                folder = out / program / name
                if folder.exists():
                    shutil.rmtree(folder)
                folder.mkdir(parents=True)
                (folder / "README.md").write_text(
                    f"# {program}: {name}\n\n{what}\n\nRecorded by scripts/record_engine_requests.py.\n"
                )
                stack.workspace.env_vars[RECORD_FOLDER_VARIABLE] = str(folder)
                steps.append(name)

            step("01-new-stack-preview", "`pulumi preview` of a stack with no state.")
            stack.preview()
            step("02-up", "`pulumi up` of the new stack.")
            stack.up()
            step("03-no-change-preview", "`pulumi preview` right after `up`: no changes.")
            stack.preview()
            step("04-refresh", "`pulumi refresh`: every link read, none changed.")
            stack.refresh()
            if program == "example-stack":
                principals = stack.outputs()["attribution"].value["principals"]
                drifted = fake.apps[next(p for p in principals if p["name"] == DRIFTED_PRINCIPAL)["clientId"]]
            else:
                drifted = fake.apps[ONE_LINK["client_id"]]
            fake.set_link(drifted, OTHER_PARTNER)
            step("05-drifted-preview", f"Another partner re-pointed a link to {OTHER_PARTNER}, then `pulumi preview --refresh`.")
            stack.preview(refresh=True)
            step("06-destroy", "`pulumi destroy`.")
            stack.destroy()
    except auto.CommandError as exc:
        # A step that fails is not a recording of the lifecycle: its folder goes, the steps before it stay.
        failed = steps.pop()
        shutil.rmtree(out / program / failed, ignore_errors=True)
        raise StepFailedError(f"{program} {failed}", exc) from None
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return steps


PROGRAMS = ("one-link", "example-stack")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "tests" / "recordings")
    args = parser.parse_args()
    pulumi_bin = find_pulumi()
    if pulumi_bin is None:
        print("no Pulumi CLI: run `bash scripts/pulumi-toolchain.sh` first", file=sys.stderr)
        return 3
    failed = 0
    for program in PROGRAMS:
        try:
            steps = record(args.out, pulumi_bin, program)
        except StepFailedError as exc:
            print(exc, file=sys.stderr)
            failed += 1
            continue
        for name in steps:
            recorded = args.out / program / name / RECORD_FILE
            print(f"{program} {name}: {len(recorded.read_text().splitlines()) if recorded.exists() else 0} requests")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
