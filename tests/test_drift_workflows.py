"""The scheduled drift workflows parse, use only commands, flags and variables that exist, and their shell does what
docs/drift.md says.

The Pulumi CLI, Azure and the CI hosts can't run here, so Pulumi's flags are checked against the documented ones
(pulumi.com/docs/iac/cli/commands/pulumi_preview and pulumi_login), and the workflows' shell steps are run for real
with stub ``pulumi``, ``az`` and ``curl`` executables on PATH: exit 0 is no drift, 7 is drift (Pulumi CLI >= 3.227.0,
pulumi/pulumi pkg/cmd/pulumi/cmd/exit_codes.go), anything else a failed run. Our own commands are run for real.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from conftest import PROJECT_ROOT
from partner_attribution.cli import app
from partner_attribution.naming import PAL_LINK_TYPE

GITHUB = PROJECT_ROOT / ".github" / "workflows" / "drift.yml"
AZDO = PROJECT_ROOT / "pipelines" / "drift.azure-pipelines.yml"
DOCS = (PROJECT_ROOT / "docs" / "drift.md").read_text()

PULUMI_FLAGS = {
    "preview": {"--stack", "-s", "--refresh", "--expect-no-changes", "--diff", "--non-interactive", "--json", "--cwd"},
    "login": set(),
    "version": set(),
}
MIN_PULUMI = "3.227.0"  # first CLI whose `preview --expect-no-changes` exits 7 on changes
SYSTEM_PATH = "/usr/bin:/bin"
BACKEND_SECRETS = {"PULUMI_ACCESS_TOKEN", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN", "PULUMI_CONFIG_PASSPHRASE"}
SUBSCRIPTION = "33333333-3333-4333-8333-333333333333"


def _load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict)
    return document


def _scripts(node: Any) -> list[str]:
    """Every shell script in a workflow (run:, script:, inlineScript:)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("run", "script", "inlineScript") and isinstance(value, str):
                found.append(value)
            else:
                found += _scripts(value)
    elif isinstance(node, list):
        for item in node:
            found += _scripts(item)
    return found


def _commands(scripts: list[str], program: str) -> list[list[str]]:
    """The invocations of ``program`` in the scripts, as argument lists (also inside ``$(...)``)."""
    commands = []
    for script in scripts:
        for line in script.splitlines():
            if line.lstrip().startswith("#"):
                continue
            line = line.replace("$(ls Pulumi.*.yaml | sed 's/^/--config /')", "--config Pulumi.dev.yaml")
            line = re.sub(r"\$\{\{[^}]*\}\}|\$\([A-Z_]+\)", "X", line)  # workflow expressions and AzDO macros
            line = re.sub(r"\$\(([^()]*)\)", r" ; \1 ; ", line)  # command substitutions
            if not re.search(rf"(^|[\s/]){re.escape(program)}[\"']?\s", line):
                continue
            for segment in re.split(r"&&|\|\||\||;|\bif !|\bthen\b", line):
                words = shlex.split(segment.split(">>")[0].split(" > ")[0])  # drop output redirection
                if words and (words[0] == program or words[0].endswith(f"/{program}")):
                    commands.append(words)
    return commands


# ---------------------------------------------------------------- the two files


def _github() -> dict[str, Any]:
    return _load(GITHUB)


def _github_step(job: str, *, step_id: str | None = None, name: str | None = None) -> dict[str, Any]:
    steps = _github()["jobs"][job]["steps"]
    return next(s for s in steps if (step_id and s.get("id") == step_id) or (name and s.get("name") == name))


def _azdo_job(name: str) -> dict[str, Any]:
    (stage,) = _load(AZDO)["stages"]
    return next(job for job in stage["jobs"] if job["job"] == name)


def _azdo_preview_task() -> dict[str, Any]:
    return next(step for step in _azdo_job("preview")["steps"] if step.get("task") == "AzureCLI@2")


def _azdo_variables() -> dict[str, str]:
    return {v["name"]: v["value"] for v in _load(AZDO)["variables"] if "name" in v}


# ---------------------------------------------------------------- stubs


def _stub(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(0o755)


def _stub_bin(tmp_path: Path, *, preview_exit: int = 0, version: str = MIN_PULUMI, subscription: str = SUBSCRIPTION) -> Path:
    """A bin directory with a ``pulumi`` that records its calls and environment, and an ``az`` for the subscription."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    _stub(
        bin_dir,
        "pulumi",
        f"""echo "$*" >> "{tmp_path}/pulumi.calls"
case "$1" in
  version) echo "v{version}" ;;
  login) exit 0 ;;
  preview)
    env > "{tmp_path}/pulumi.env"
    echo "~ partner-attribution:index:DeliveryPrincipal platform-delivery update (stub output)"
    exit {preview_exit} ;;
esac
""",
    )
    _stub(bin_dir, "az", f'[ "$*" = "account show --query id -o tsv" ] && echo "{subscription}"\n')
    return bin_dir


def _run(script: str, cwd: Path, env: dict[str, str], *, errexit: bool) -> subprocess.CompletedProcess[str]:
    """Run a step's shell as its host does: GitHub's default ``bash -e``, AzureCLI@2's plain ``bash``."""
    (cwd / "step.sh").write_text(script)
    command = ["bash", "-e", "step.sh"] if errexit else ["bash", "step.sh"]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=30, check=False)


def _pulumi_env(tmp_path: Path) -> dict[str, str]:
    lines = (tmp_path / "pulumi.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def _pulumi_calls(tmp_path: Path) -> list[str]:
    calls = tmp_path / "pulumi.calls"
    return calls.read_text().splitlines() if calls.exists() else []


# ---------------------------------------------------------------- commands and flags


@pytest.mark.parametrize("path", [GITHUB, AZDO], ids=["github", "azure-devops"])
def test_pulumi_commands_use_documented_flags(path: Path) -> None:
    commands = _commands(_scripts(_load(path)), "pulumi")
    assert [c[1] for c in commands] == ["version", "version", "login", "preview"]  # installer check, then the step
    for command in commands:
        flags = {w.split("=")[0] for w in command[2:] if w.startswith("-")}
        assert flags <= PULUMI_FLAGS[command[1]], f"{command}: unknown {flags - PULUMI_FLAGS[command[1]]}"
    preview = next(c for c in commands if c[1] == "preview")
    assert {"--refresh", "--expect-no-changes", "--diff"} <= set(preview)
    login = next(c for c in commands if c[1] == "login")
    assert login == ["pulumi", "login"], "no argument: the CLI reads PULUMI_BACKEND_URL"


@pytest.mark.parametrize("path", [GITHUB, AZDO], ids=["github", "azure-devops"])
def test_plan_step_runs_as_written(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The offline plan step, with the stack files of this repository, succeeds."""
    monkeypatch.chdir(PROJECT_ROOT)
    commands = _commands(_scripts(_load(path)), "partner-attribution")
    assert commands, "the workflow checks configuration offline"
    for command in commands:
        result = CliRunner().invoke(app, command[1:])
        assert result.exit_code == 0, result.output


# ---------------------------------------------------------------- GitHub structure, identity and variables


def test_github_workflow_structure() -> None:
    workflow = _github()
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads 'on' as True
    assert triggers["schedule"][0]["cron"] and "workflow_dispatch" in triggers
    drift = workflow["jobs"]["drift"]
    assert drift["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
    assert drift["if"] == "needs.stacks.outputs.stacks != '[]'", "an empty matrix is an error, not 'no stacks'"
    assert drift["strategy"]["fail-fast"] is False
    assert drift["env"]["STACK"] == "${{ matrix.stack }}"
    assert "GITHUB_STEP_SUMMARY" in " ".join(_scripts(drift))
    outputs = workflow["jobs"]["stacks"]["outputs"]["stacks"]
    assert outputs == "${{ steps.list.outputs.stacks }}"
    assert any(step.get("id") == "list" for step in workflow["jobs"]["stacks"]["steps"])


def test_github_drift_job_can_request_oidc_tokens_with_the_branch_subject() -> None:
    """id-token: write on the drift job (GitHub puts ACTIONS_ID_TOKEN_REQUEST_* in its environment), no environment:
    (which would change the subject to repo:ORG/REPO:environment:NAME), and the alternative said where it is done."""
    workflow = _github()
    drift = workflow["jobs"]["drift"]
    assert drift["permissions"] == {"id-token": "write", "contents": "read"}
    assert "environment" not in drift, "an environment changes the token's subject; the example stack trusts the branch"
    assert "id-token" not in workflow.get("permissions", {}), "only the job that needs tokens gets them"
    assert "id-token" not in workflow["jobs"]["stacks"].get("permissions", {})
    text = GITHUB.read_text()
    assert "repo:<owner>/<repo>:environment:<name>" in text and "linkFederation github.environment" in text
    assert drift["env"]["ARM_USE_OIDC"] == "true"
    assert "ARM_CLIENT_SECRET" not in drift["env"], "OIDC: no client secret"
    for name in ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
        assert name not in drift["env"], "set by the runner with id-token: write; nothing to copy"
        assert name in DOCS


def test_github_sets_subscription_and_state_backend_variables() -> None:
    env = _github()["jobs"]["drift"]["env"]
    assert env["ARM_SUBSCRIPTION_ID"] == "${{ vars.AZURE_SUBSCRIPTION_ID }}", "azure-native refuses OIDC without it"
    assert env["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}"
    assert env["AZURE_STORAGE_ACCOUNT"] == "${{ vars.AZURE_STORAGE_ACCOUNT }}"
    for name in BACKEND_SECRETS:
        assert env[name] == f"${{{{ secrets.{name} }}}}", f"{name} is a secret"
    login = _github_step("drift", name="Azure CLI sign-in for the azblob state backend")
    assert login["uses"].startswith("azure/login@")
    assert login["if"] == "startsWith(vars.PULUMI_BACKEND_URL, 'azblob://')"
    assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}  # OIDC: no creds, no secret


def _documented_table(heading: str) -> dict[str, str]:
    """The `| name | kind | what |` table below a docs heading: name -> kind."""
    section = DOCS.split(heading, 1)[1].split("\n### ", 1)[0]
    return dict(re.findall(r"^\| `([A-Z_]+)` \| (variable|secret) \|", section, flags=re.MULTILINE))


def test_github_variables_and_secrets_are_documented() -> None:
    text = GITHUB.read_text()
    used = {name: kind for kind, name in re.findall(r"\$\{\{\s*(vars|secrets)\.([A-Z_]+)\s*\}\}", text)}
    kinds = {name: {"vars": "variable", "secrets": "secret"}[kind] for name, kind in used.items()}
    assert kinds == _documented_table("### GitHub Actions: `.github/workflows/drift.yml`")
    for name in ("PULUMI_VERSION", "PULUMI_MIN_VERSION", "EXCLUDE_STACKS"):
        assert f"`{name}`" in DOCS


# ---------------------------------------------------------------- Azure DevOps structure, identity and variables


def test_azure_pipeline_structure() -> None:
    pipeline = _load(AZDO)
    assert pipeline["schedules"][0]["cron"] and pipeline["trigger"] == "none"
    preview = _azdo_job("preview")
    assert preview["dependsOn"] == "stacks"
    assert preview["strategy"]["matrix"] == "$[ dependencies.stacks.outputs['list.legs'] ]"
    assert "ne(dependencies.stacks.outputs['list.legs'], '{}')" in preview["condition"]
    assert any(step.get("name") == "list" for step in _azdo_job("stacks")["steps"])
    task = _azdo_preview_task()
    inputs = task["inputs"]
    assert set(inputs) <= {
        "azureSubscription",
        "scriptType",
        "scriptLocation",
        "inlineScript",
        "addSpnToEnvironment",
        "scriptPath",
        "arguments",
        "workingDirectory",
        "failOnStandardError",
    }  # AzureCLI@2 inputs
    assert inputs["azureSubscription"] == "$(SERVICE_CONNECTION)"
    assert inputs["addSpnToEnvironment"] is True
    for variable in ("$idToken", "$servicePrincipalId", "$tenantId"):
        assert variable in inputs["inlineScript"]
    assert "ARM_CLIENT_SECRET" not in inputs["inlineScript"]
    assert "workload identity federation" in DOCS


def test_azure_pipeline_maps_every_secret_and_the_access_token() -> None:
    """ADO gives secrets to scripts only through env:; SYSTEM_ACCESSTOKEN lets the PAL links request fresh tokens."""
    env = _azdo_preview_task()["env"]
    assert env["SYSTEM_ACCESSTOKEN"] == "$(System.AccessToken)"
    documented = _documented_table("### Azure DevOps: `pipelines/drift.azure-pipelines.yml`")
    secrets = {name for name, kind in documented.items() if kind == "secret"}
    assert secrets == BACKEND_SECRETS
    assert set(env) == secrets | {"SYSTEM_ACCESSTOKEN"}
    for name in secrets:
        assert env[name] == f"$({name})"
    assert "SYSTEM_ACCESSTOKEN: $(System.AccessToken)" in DOCS


def test_azure_pipeline_variables_are_documented() -> None:
    text = AZDO.read_text()
    documented = _documented_table("### Azure DevOps: `pipelines/drift.azure-pipelines.yml`")
    script = _azdo_preview_task()["inputs"]["inlineScript"]
    plain = {"SERVICE_CONNECTION", "PULUMI_BACKEND_URL", "AZURE_SUBSCRIPTION_ID", "AZURE_STORAGE_ACCOUNT"}
    assert {name for name, kind in documented.items() if kind == "variable"} == plain
    assert "$(SERVICE_CONNECTION)" in text
    for name in plain - {"SERVICE_CONNECTION"}:
        assert name in script, f"{name} is read from the environment"
    for name in _azdo_variables():
        assert f"`{name}`" in DOCS


# ---------------------------------------------------------------- the stack list leaves the example out


def _stack_files(directory: Path, *names: str) -> None:
    for name in names:
        (directory / f"Pulumi.{name}.yaml").write_text("config: {}\n")


def _github_listing(tmp_path: Path, exclude: str) -> list[str]:
    step = _github_step("stacks", step_id="list")
    output = tmp_path / "out"
    output.unlink(missing_ok=True)
    env = {"GITHUB_OUTPUT": str(output), "PATH": SYSTEM_PATH, "EXCLUDE_STACKS": exclude}
    result = _run(step["run"], tmp_path, env, errexit=True)
    assert result.returncode == 0, result.stderr
    key, _, value = output.read_text().strip().partition("=")
    assert key == "stacks"
    return list(json.loads(value))


def _azdo_listing(tmp_path: Path, exclude: str) -> dict[str, dict[str, str]]:
    step = next(s for s in _azdo_job("stacks")["steps"] if s.get("name") == "list")
    result = _run(step["script"], tmp_path, {"PATH": SYSTEM_PATH, "EXCLUDE_STACKS": exclude}, errexit=False)
    assert result.returncode == 0, result.stderr
    prefix = "##vso[task.setvariable variable=legs;isOutput=true]"
    (line,) = [line for line in result.stdout.splitlines() if line.startswith(prefix)]
    legs = json.loads(line.removeprefix(prefix))
    assert all(re.fullmatch(r"[A-Za-z_]\w*", leg) for leg in legs), "matrix leg names: letters, digits, _"
    return legs


def test_example_stack_is_excluded_by_a_documented_variable() -> None:
    assert _github()["jobs"]["stacks"]["env"]["EXCLUDE_STACKS"] == "dev"
    assert _azdo_variables()["EXCLUDE_STACKS"] == "dev"
    assert "**`EXCLUDE_STACKS`**" in DOCS and "default `dev`" in DOCS


def test_github_stack_listing_leaves_out_the_example_stack(tmp_path: Path) -> None:
    """The 'list' step's shell, with the job's EXCLUDE_STACKS, over Pulumi.dev.yaml and two customer stacks."""
    _stack_files(tmp_path, "dev", "customer-a", "contoso-prod")
    exclude = _github()["jobs"]["stacks"]["env"]["EXCLUDE_STACKS"]
    assert sorted(_github_listing(tmp_path, exclude)) == ["contoso-prod", "customer-a"]
    assert sorted(_github_listing(tmp_path, "")) == ["contoso-prod", "customer-a", "dev"], "the variable does it"
    assert _github_listing(tmp_path, "dev, customer-a") == ["contoso-prod"]


def test_github_stack_listing_of_only_the_example_is_empty(tmp_path: Path) -> None:
    _stack_files(tmp_path, "dev")
    assert _github_listing(tmp_path, "dev") == []  # and the drift job's `if:` skips an empty matrix


def test_azure_stack_listing_leaves_out_the_example_stack(tmp_path: Path) -> None:
    _stack_files(tmp_path, "dev", "customer-a", "contoso-prod")
    legs = _azdo_listing(tmp_path, _azdo_variables()["EXCLUDE_STACKS"])
    assert legs == {"stack_contoso_prod": {"stack": "contoso-prod"}, "stack_customer_a": {"stack": "customer-a"}}
    assert {leg["stack"] for leg in _azdo_listing(tmp_path, "").values()} == {"contoso-prod", "customer-a", "dev"}
    (tmp_path / "Pulumi.customer-a.yaml").unlink()
    (tmp_path / "Pulumi.contoso-prod.yaml").unlink()
    assert _azdo_listing(tmp_path, "dev") == {}  # and the preview job's condition skips an empty matrix


# ---------------------------------------------------------------- the CLI version


def test_cli_version_is_pinned_and_at_least_the_exit_code_release() -> None:
    github_env = _github()["env"]
    for variables in (github_env, _azdo_variables()):
        assert variables["PULUMI_MIN_VERSION"] == MIN_PULUMI
        pinned = tuple(int(p) for p in variables["PULUMI_VERSION"].split("."))
        assert pinned >= tuple(int(p) for p in MIN_PULUMI.split("."))
    installers = [
        _github_step("drift", name="Install Pulumi CLI")["run"],
        next(s for s in _azdo_job("preview")["steps"] if s.get("displayName") == "Install Python environment and Pulumi CLI")[
            "script"
        ],
    ]
    for script in installers:
        assert 'curl -fsSL https://get.pulumi.com | sh -s -- --version "$PULUMI_VERSION"' in script
        assert '"$PULUMI_MIN_VERSION"' in script
    assert "3.227.0" in DOCS and "exit_codes.go" in DOCS


@pytest.mark.parametrize(("installed", "ok"), [("3.227.0", True), ("3.259.0", True), ("3.226.0", False), ("3.99.0", False)])
def test_github_installer_refuses_a_cli_older_than_the_minimum(tmp_path: Path, installed: str, ok: bool) -> None:
    """The installer step, with a stub `curl` serving an installer that installs the version it is asked for."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    installer = 'mkdir -p "$HOME/.pulumi/bin"; printf "#!/bin/sh\\necho v%s\\n" "$2" > "$HOME/.pulumi/bin/pulumi"; '
    installer += 'chmod +x "$HOME/.pulumi/bin/pulumi"; echo "$@" > "$HOME/install.args"'
    _stub(bin_dir, "curl", f"cat <<'EOF'\n{installer}\nEOF\n")
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": f"{bin_dir}:{SYSTEM_PATH}",
        "HOME": str(home),
        "GITHUB_PATH": str(tmp_path / "path"),
        "PULUMI_VERSION": installed,
        "PULUMI_MIN_VERSION": _github()["env"]["PULUMI_MIN_VERSION"],
    }
    result = _run(_github_step("drift", name="Install Pulumi CLI")["run"], tmp_path, env, errexit=True)
    assert (home / "install.args").read_text().split() == ["--version", installed]
    assert (result.returncode == 0) is ok, result.stdout + result.stderr
    if not ok:
        assert f"Pulumi CLI {installed} is older than {MIN_PULUMI}" in result.stdout


# ---------------------------------------------------------------- the preview step: drift or failure

OUTCOMES = [
    (0, "clean", "no drift"),
    (7, "drift", "DRIFT: the preview proposes changes (exit 7)"),
    (1, "failed", "FAILED, not drift: the preview did not complete (exit 1)"),
    (3, "failed", "FAILED, not drift: the preview did not complete (exit 3)"),  # 3 is an authentication error
]


def _github_preview(tmp_path: Path, bin_dir: Path, **extra: str) -> tuple[subprocess.CompletedProcess[str], str, str]:
    env = {
        "PATH": f"{bin_dir}:{SYSTEM_PATH}",
        "HOME": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "STACK": "customer-a",
        "PULUMI_MIN_VERSION": _github()["env"]["PULUMI_MIN_VERSION"],
        **extra,
    }
    for path in ("output", "summary.md"):
        (tmp_path / path).touch()
    result = _run(_github_step("drift", step_id="preview")["run"], tmp_path, env, errexit=True)
    return result, (tmp_path / "output").read_text(), (tmp_path / "summary.md").read_text()


@pytest.mark.parametrize(("status", "verdict", "headline"), OUTCOMES)
def test_github_preview_tells_drift_from_failure(tmp_path: Path, status: int, verdict: str, headline: str) -> None:
    result, output, summary = _github_preview(tmp_path, _stub_bin(tmp_path, preview_exit=status))
    assert result.returncode == status, result.stderr
    assert output == f"result={verdict}\n"
    assert summary.startswith(f"### customer-a: {headline}")
    assert "(stub output)" in summary, "the diff is in the summary"
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    expected = {"clean": [], "drift": ["::error title=drift in customer-a::"], "failed": ["::error title=preview of"]}
    assert [a[: len(e)] for a, e in zip(annotations, expected[verdict], strict=False)] == expected[verdict]
    assert len(annotations) == len(expected[verdict])
    calls = _pulumi_calls(tmp_path)
    assert calls[:2] == ["version", "login"]
    assert calls[2].split()[:3] == ["preview", "--stack", "customer-a"]


def test_github_preview_refuses_an_old_cli_as_a_failure(tmp_path: Path) -> None:
    result, output, summary = _github_preview(tmp_path, _stub_bin(tmp_path, preview_exit=1, version="3.226.0"))
    assert result.returncode == 1
    assert output == "result=failed\n"
    assert summary.startswith("### customer-a: FAILED, not drift: Pulumi CLI 3.226.0 is older than 3.227.0")
    assert _pulumi_calls(tmp_path) == ["version"], "no preview whose exit code can't be read"


def test_github_preview_passes_tokens_and_drops_unset_backend_secrets(tmp_path: Path) -> None:
    """The runner's ACTIONS_ID_TOKEN_REQUEST_* reach pulumi untouched; an unset secret (empty string) is dropped."""
    extra = {
        "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example/?api-version=2.0",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
        "PULUMI_BACKEND_URL": "azblob://state",
        "AZURE_STORAGE_ACCOUNT": "contosostate",
        "AZURE_STORAGE_KEY": "",
        "AZURE_STORAGE_SAS_TOKEN": "",
        "PULUMI_ACCESS_TOKEN": "",
        "PULUMI_CONFIG_PASSPHRASE": "passphrase",
    }
    result, _, _ = _github_preview(tmp_path, _stub_bin(tmp_path), **extra)
    assert result.returncode == 0, result.stderr
    env = _pulumi_env(tmp_path)
    for name in ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "PULUMI_BACKEND_URL"):
        assert env[name] == extra[name]
    assert env["AZURE_STORAGE_ACCOUNT"] == "contosostate" and env["PULUMI_CONFIG_PASSPHRASE"] == "passphrase"
    for name in ("AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN", "PULUMI_ACCESS_TOKEN"):
        assert name not in env, f"an empty {name} would be taken for a credential"


def _azdo_preview(tmp_path: Path, bin_dir: Path, **extra: str) -> tuple[subprocess.CompletedProcess[str], str]:
    """The AzureCLI@2 inline script, with what the task and the mapped env: give it."""
    env = {
        "PATH": f"{bin_dir}:{SYSTEM_PATH}",
        "HOME": str(tmp_path),
        "AGENT_TEMPDIRECTORY": str(tmp_path),
        "STACK": "customer-a",  # the matrix leg's variable `stack`
        "PULUMI_MIN_VERSION": _azdo_variables()["PULUMI_MIN_VERSION"],
        "idToken": "ado-id-token",
        "servicePrincipalId": "44444444-4444-4444-8444-444444444444",
        "tenantId": "55555555-5555-4555-8555-555555555555",
        "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID": "66666666-6666-4666-8666-666666666666",
        "SYSTEM_OIDCREQUESTURI": "https://dev.azure.com/contoso/_apis/oidctoken",
        "SYSTEM_ACCESSTOKEN": "system-access-token",
        # secrets the group does not define arrive as the literal macro
        **{name: f"$({name})" for name in BACKEND_SECRETS},
        **extra,
    }
    result = _run(_azdo_preview_task()["inputs"]["inlineScript"], tmp_path, env, errexit=False)
    summary = tmp_path / "drift-customer-a.md"
    return result, summary.read_text() if summary.exists() else ""


@pytest.mark.parametrize(("status", "verdict", "headline"), OUTCOMES)
def test_azure_preview_tells_drift_from_failure(tmp_path: Path, status: int, verdict: str, headline: str) -> None:
    result, summary = _azdo_preview(tmp_path, _stub_bin(tmp_path, preview_exit=status))
    assert result.returncode == status, result.stderr
    lines = result.stdout.splitlines()
    assert f"##vso[task.setvariable variable=result;isOutput=true]{verdict}" in lines
    assert f"##vso[task.uploadsummary]{tmp_path}/drift-customer-a.md" in lines
    issues = [line for line in lines if line.startswith("##vso[task.logissue type=error]")]
    assert len(issues) == (0 if verdict == "clean" else 1)
    assert summary.startswith(f"### customer-a: {headline}")
    assert "(stub output)" in summary


def test_azure_preview_gives_azure_native_a_subscription_and_the_links_a_token_source(tmp_path: Path) -> None:
    result, _ = _azdo_preview(tmp_path, _stub_bin(tmp_path))
    assert result.returncode == 0, result.stderr
    env = _pulumi_env(tmp_path)
    assert env["ARM_SUBSCRIPTION_ID"] == SUBSCRIPTION, "the service connection's subscription, from az account show"
    assert env["ARM_USE_OIDC"] == "true" and env["ARM_OIDC_TOKEN"] == "ado-id-token"
    assert env["ARM_CLIENT_ID"] == "44444444-4444-4444-8444-444444444444"
    assert env["ARM_TENANT_ID"] == "55555555-5555-4555-8555-555555555555"
    # a fresh token for the service connection: request URI, access token and the connection's ID
    assert env["SYSTEM_ACCESSTOKEN"] == "system-access-token" and env["SYSTEM_OIDCREQUESTURI"]
    for name in ("ARM_OIDC_AZURE_SERVICE_CONNECTION_ID", "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID"):
        assert env[name] == "66666666-6666-4666-8666-666666666666"
    for name in BACKEND_SECRETS:
        assert name not in env, f"an undefined {name} arrives as '$({name})' and must not be used"


def test_azure_preview_prefers_the_subscription_variable(tmp_path: Path) -> None:
    chosen = "77777777-7777-4777-8777-777777777777"
    result, _ = _azdo_preview(tmp_path, _stub_bin(tmp_path), AZURE_SUBSCRIPTION_ID=chosen, AZURE_STORAGE_KEY="key")
    assert result.returncode == 0, result.stderr
    env = _pulumi_env(tmp_path)
    assert env["ARM_SUBSCRIPTION_ID"] == chosen
    assert env["AZURE_STORAGE_KEY"] == "key", "a defined secret passes"


@pytest.mark.parametrize(
    ("extra", "subscription", "message"),
    [
        ({"idToken": ""}, SUBSCRIPTION, "gave no idToken"),
        ({}, "", "no subscription ID"),
    ],
    ids=["not-workload-identity", "no-subscription"],
)
def test_azure_preview_fails_before_pulumi_without_identity(
    tmp_path: Path, extra: dict[str, str], subscription: str, message: str
) -> None:
    result, summary = _azdo_preview(tmp_path, _stub_bin(tmp_path, subscription=subscription), **extra)
    assert result.returncode == 1
    assert "##vso[task.setvariable variable=result;isOutput=true]failed" in result.stdout.splitlines()
    assert summary.startswith("### customer-a: FAILED, not drift") and message in summary
    assert _pulumi_calls(tmp_path) == []


def test_azure_preview_refuses_an_old_cli_as_a_failure(tmp_path: Path) -> None:
    result, summary = _azdo_preview(tmp_path, _stub_bin(tmp_path, preview_exit=1, version="3.200.1"))
    assert result.returncode == 1
    assert summary.startswith("### customer-a: FAILED, not drift: Pulumi CLI 3.200.1 is older than 3.227.0")
    assert _pulumi_calls(tmp_path) == ["version"]


# ---------------------------------------------------------------- docs


def test_docs_name_the_engine_type_of_the_link() -> None:
    assert PAL_LINK_TYPE == "partner-attribution:index:PartnerAdminLink"  # the plugin's link, Python programs' too
    assert f"+ {PAL_LINK_TYPE} <name>-pal create" in DOCS
    assert "partner-attribution:...:PartnerAdminLink" not in DOCS


def test_docs_say_which_subject_a_scheduled_run_presents() -> None:
    section = DOCS.split("### Secretless links in scheduled previews", 1)[1].split("\n## ", 1)[0]
    for text in (
        "repo:contoso-partner/landing-zone:ref:refs/heads/main",
        "repo:<owner>/<repo>:environment:<name>",
        "https://token.actions.githubusercontent.com",
        "sc://<organization>/<project>/<service connection",
        "https://vstoken.dev.azure.com/<organizationId>",
        "2027-07-01",
        "partner-attribution:linkFederation",
        "azureDevOps:",
        "organizationId:",
        "serviceConnection:",
        "AADSTS700213",
        "AADSTS70021",
        "FAILED, not drift",
        "SYSTEM_ACCESSTOKEN",
        "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
    ):
        assert text in section, text


def test_docs_exit_code_table_matches_the_workflows() -> None:
    for status, _verdict, headline in OUTCOMES[:2]:
        assert f"| {status} |" in DOCS
        assert headline.split(" (")[0] in DOCS
    assert "| any other | **failure**" in DOCS
    for path in (GITHUB, AZDO):
        assert "exit 7" in path.read_text() and "FAILED, not drift" in path.read_text()
