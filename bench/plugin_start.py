"""Benchmark: start of the partner-attribution Pulumi plugin, the process the engine launches for it in every
``pulumi preview`` and ``up``: from launch to the port printed on stdout (when the engine can call it), median and
minimum of R fresh processes, side by side with Pulumi's Python dynamic provider host (``python -m pulumi.dynamic``,
what a Python program's PAL links start instead). With ``--preview``, also how many plugin processes one no-change
``pulumi preview`` of examples/yaml starts (counted by a launcher that records each start) and
the preview's wall time (needs the CLI and YAML host of scripts/pulumi-toolchain.sh).

    python bench/plugin_start.py --repeat 9 [--preview]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

PLUGIN = "pulumi-resource-partner-attribution"


def start_seconds(command: list[str]) -> float:
    """Launch ``command`` with an engine address nothing listens on (no call is made before the first request) and
    time it until it prints its port."""
    started = time.perf_counter()
    process = subprocess.Popen([*command, "127.0.0.1:1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        elapsed = time.perf_counter() - started
        if not port.isdigit():
            raise RuntimeError(f"{command[0]} printed {port!r}, not a port")
        return elapsed
    finally:
        process.kill()
        process.wait()


def measure(command: list[str], repeat: int) -> dict[str, float]:
    times = [start_seconds(command) for _ in range(repeat)]
    return {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3)}


def preview(repeat: int) -> dict[str, object]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from partner_attribution.testing.engine import FakeDeployment, find_pulumi, new_root
    from tests.engine.plugin_stack import copy_example, install_plugin, prepare_fake

    pulumi_bin = find_pulumi()
    if pulumi_bin is None:
        raise SystemExit("--preview needs the Pulumi CLI: bash scripts/pulumi-toolchain.sh")
    root = new_root("plugin-start-")
    with FakeDeployment(pulumi_bin, root / "engine") as deployment:
        launcher = install_plugin(deployment)
        launches = root / "launches"
        script = launcher.resolve()
        launcher.unlink()  # a launcher that records each start, then runs the plugin
        launcher.write_text(f'#!/bin/sh\necho start >> "{launches}"\nexec "{script}" "$@"\n')
        launcher.chmod(0o755)
        prepare_fake(deployment)
        work_dir = copy_example("yaml", root / "project")
        deployment.cli(work_dir, "stack", "init", "dev")
        up = deployment.cli(work_dir, "up", "--yes", "--skip-preview")
        if up.returncode != 0:
            raise SystemExit(up.stdout + up.stderr)
        times, starts = [], []
        for _ in range(repeat):
            launches.write_text("")
            started = time.perf_counter()
            done = deployment.cli(work_dir, "preview", "--expect-no-changes")
            times.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise SystemExit(done.stdout + done.stderr)
            starts.append(len(launches.read_text().split()))
        deployment.cli(work_dir, "destroy", "--yes")
    shutil.rmtree(root, ignore_errors=True)
    return {"preview_median_s": round(statistics.median(times), 2), "plugin_starts_per_preview": sorted(set(starts))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--preview", action="store_true", help="also a no-change preview of examples/yaml")
    args = parser.parse_args()
    plugin = shutil.which(PLUGIN) or str(Path(sys.executable).parent / PLUGIN)
    rows: dict[str, object] = {}
    for _ in range(2):  # alternate, so both sides see the same machine
        rows["plugin"] = measure([plugin], args.repeat)
        rows["dynamic_provider_host"] = measure([sys.executable, "-u", "-m", "pulumi.dynamic"], args.repeat)
    if args.preview:
        rows.update(preview(max(3, args.repeat // 3)))
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
