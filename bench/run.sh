#!/usr/bin/env bash
# Run every benchmark with the figures BENCHMARKS.md reports. Needs the dev environment (scripts/test.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
export PATH="$PWD/.venv/bin:$PATH"
echo "## startup";           $py bench/startup.py --repeat 7
echo "## program overhead";  $py bench/program_overhead.py --principals 10 100 500 --repeat 3
echo "## link cost";         $py bench/link_cost.py --delays 5 20 60
echo "## federated link";    $py bench/federated_link.py --delays 20
echo "## verify at scale";   $py bench/verify_scale.py --principals 10 100 500 --latency 0.05 --concurrency 16
echo "## policy pack";       $py bench/policy_pack.py --principals 10 100 500 --repeat 5
echo "## real engine";       $py bench/engine_overhead.py --principals 10 50   # needs the CLI: bash scripts/pulumi-toolchain.sh
echo "## links side by side"; for checkpoints in final every-step; do
    $py bench/links_side_by_side.py --principals 10 50 200 --delay 20 --parallel 512 --checkpoints "$checkpoints"   # needs the CLI
done
echo "## plugin start";      $py bench/plugin_start.py --repeat 9 --preview
echo "## plugin vs dynamic link"; $py bench/link_cost.py --engine 10 50   # needs the CLI
