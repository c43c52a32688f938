#!/usr/bin/env bash
# Generate the plugin's SDKs (sdk/nodejs, sdk/go, sdk/python) from its schema with sdk-gen/ (Pulumi's pkg/v3
# generators at the CLI's version), then complete the Go SDK's module (go mod tidy). Run after changing
# components/partner_attribution/plugin/schema.json and commit the result; tests/engine/test_sdk.py fails when the
# committed SDKs differ from what this writes.
#   bash scripts/gen-sdk.sh            # writes sdk/
#   bash scripts/gen-sdk.sh OUT_DIR    # writes OUT_DIR/ (the test's regeneration)
# The generator is built once into the cache, on the module cache scripts/pulumi-toolchain.sh filled (about a
# minute the first time). Needs Go.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$here/sdk}"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/partner-attribution/sdk-gen"
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-mod=mod"
command -v go >/dev/null || { echo "gen-sdk: Go is needed (https://go.dev/dl/)" >&2; exit 3; }
mkdir -p "$cache"
stamp="$(cat "$here/sdk-gen/go.mod" "$here/sdk-gen/go.sum" "$here/sdk-gen/main.go" | sha256sum | cut -c1-16)"
if [ ! -x "$cache/sdk-gen-$stamp" ]; then
  (cd "$here/sdk-gen" && go build -trimpath -tags osusergo,grpcnotrace -o "$cache/sdk-gen-$stamp.partial" .)
  mv "$cache/sdk-gen-$stamp.partial" "$cache/sdk-gen-$stamp"
fi
version="$(cd "$here" && python3 -c 'import re;print(re.search(r"^version = \"(.+)\"", open("pyproject.toml").read(), re.M).group(1))')"
"$cache/sdk-gen-$stamp" -schema "$here/components/partner_attribution/plugin/schema.json" -version "$version" -out "$out"
(cd "$out/go" && go mod tidy)
echo "gen-sdk: wrote $out (version $version)" >&2
