"""Benchmark: start-up time of the CLI (``partner-attribution --help``) and import time of the program's
modules, each a fresh process, median of R runs.

    python bench/startup.py --repeat 7
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time


def median_seconds(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    cli = shutil.which("partner-attribution") or "partner-attribution"
    rows = {
        "python_bare_s": median_seconds([sys.executable, "-c", "pass"], args.repeat),
        "cli_help_s": median_seconds([cli, "--help"], args.repeat),
        "import_package_s": median_seconds([sys.executable, "-c", "import partner_attribution"], args.repeat),
        "import_program_s": median_seconds([sys.executable, "-c", "import partner_attribution.program"], args.repeat),
        "plan_example_stack_s": median_seconds([cli, "plan", "--stack", "dev", "--format", "json"], max(3, args.repeat // 2)),
    }
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
