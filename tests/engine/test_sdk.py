"""The committed SDKs (sdk/) are what the schema generates, and they compile: the TypeScript SDK with tsc, the Go SDK
with go build. Needs Go (the generator, the Go SDK) and Node.js with npm (TypeScript and @pulumi/pulumi from the
registry): skipped without them, failed instead with CI=true."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import PROJECT_ROOT

SDK = PROJECT_ROOT / "sdk"


def _need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        message = f"needs {', '.join(missing)} on PATH"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def _differences(left: Path, right: Path, under: str = "") -> list[str]:
    """Files that are not the same in both trees, by path under them."""
    compared = filecmp.dircmp(left, right)
    found = [f"only committed: {under}{n}" for n in compared.left_only]
    found += [f"only regenerated: {under}{n}" for n in compared.right_only]
    found += [f"differs: {under}{n}" for n in compared.diff_files + compared.funny_files]
    for name in compared.common_dirs:
        found += _differences(left / name, right / name, f"{under}{name}/")
    return found


def test_the_committed_sdks_are_what_the_schema_generates(tmp_path: Path) -> None:
    _need("go")
    done = subprocess.run(
        ["bash", str(PROJECT_ROOT / "scripts" / "gen-sdk.sh"), str(tmp_path / "sdk")],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    differences = _differences(SDK, tmp_path / "sdk")
    assert not differences, "sdk/ is not what the schema generates; run bash scripts/gen-sdk.sh and commit:\n" + "\n".join(
        differences
    )


def test_the_typescript_sdk_compiles_with_tsc(tmp_path: Path) -> None:
    _need("node", "npm")
    work = tmp_path / "nodejs"
    shutil.copytree(SDK / "nodejs", work)
    install = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts"],
        cwd=work, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    build = subprocess.run(["npx", "tsc", "-p", "."], cwd=work, capture_output=True, text=True, timeout=600, check=False)
    assert build.returncode == 0, build.stdout + build.stderr
    assert (work / "bin" / "index.js").exists() and (work / "bin" / "deliveryPrincipal.d.ts").exists()


def test_the_go_sdk_builds(tmp_path: Path) -> None:
    _need("go")
    environment = {**os.environ, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}
    build = subprocess.run(
        ["go", "build", "./..."], cwd=SDK / "go", env=environment, capture_output=True, text=True, timeout=900, check=False
    )
    assert build.returncode == 0, build.stderr
    vet = subprocess.run(
        ["go", "vet", "./..."], cwd=SDK / "go", env=environment, capture_output=True, text=True, timeout=900, check=False
    )
    assert vet.returncode == 0, vet.stderr
