#!/usr/bin/env bash
# Build the pinned Pulumi CLI and the YAML language host from the Go module proxy, once, into a cache outside the
# clone, and write the launcher Pulumi's releases bundle for Python dynamic providers. Later runs reuse the cache.
# Prints the bin folder on stdout; progress and timings go to stderr. Exit 3: Go is missing (nothing was built).
#
# Versions (README "Running it under the real engine"):
#  - CLI v3.276.0. The Python SDK is pinned to 3.272.0 (requirements.txt), the newest on PyPI here, but the Go module
#    proxy refuses github.com/pulumi/pulumi/pkg/v3@v3.272.0 ("403 This module version is not available"; it serves
#    v3.260.0, v3.274.0, v3.274.1, v3.275.0, v3.276.0 of that line). A CLI newer than the SDK is what Pulumi supports
#    (the SDK speaks the CLI's protocol), so the CLI is the newest one the proxy serves.
#  - pulumi-language-yaml v1.25.0 (the YAML host; the Python, Node.js and Go hosts are untagged modules the proxy
#    refuses: Python programs run through the Automation API inline instead, which needs no language host).
#
# Why a wrapper module: `go install github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@VERSION` is refused because pkg/v3's
# go.mod has replace directives (sdk/v3 => ../sdk, atotto/clipboard => tgummerer/clipboard). The wrapper requires
# pkg/v3 and sdk/v3 at the same version and repeats the non-local replace. The version is set with the linker flag
# Pulumi's release uses (-X .../sdk/v3/go/common/version.Version); without it `pulumi version` prints nothing and
# the Automation API refuses refresh and destroy. Facts: reference/pulumi-engine/FACTS.md.
#
# The launcher `pulumi-resource-pulumi-python` is copied from the CLI's own sources (pulumi/pulumi
# sdk/python/dist/pulumi-resource-pulumi-python @ the pinned version, in the module cache), which Pulumi's release
# archives bundle: the engine starts it for every Python dynamic resource, and it runs `python -u -m pulumi.dynamic`
# with $PULUMI_PYTHON_CMD (else python3) unless PULUMI_RUNTIME_VIRTUALENV is set. On the Automation API's inline path
# the project's `virtualenv` option is not passed to it, so the caller sets PULUMI_PYTHON_CMD to the program's
# interpreter (partner_attribution.testing.engine does).
set -euo pipefail
PULUMI_VERSION="${PULUMI_VERSION:-v3.276.0}"
PULUMI_YAML_VERSION="${PULUMI_YAML_VERSION:-v1.25.0}"
CACHE="${PARTNER_ATTRIBUTION_TOOLCHAIN:-${XDG_CACHE_HOME:-$HOME/.cache}/partner-attribution/pulumi-$PULUMI_VERSION}"
BIN="$CACHE/bin"
say() { echo "pulumi-toolchain: $*" >&2; }
fail() { say "$*"; exit 1; }
mkdir -p "$BIN"
start=$(date +%s)
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-mod=mod"

if [ -x "$BIN/pulumi" ] && [ "$("$BIN/pulumi" version 2>/dev/null)" = "$PULUMI_VERSION" ]; then
  say "pulumi $PULUMI_VERSION: already built in $BIN"
else
  command -v go >/dev/null || { say "Go is needed to build the Pulumi CLI (https://go.dev/dl/), or put pulumi $PULUMI_VERSION on PATH"; exit 3; }
  say "building pulumi $PULUMI_VERSION from the Go module proxy with $(go version | cut -d' ' -f3) (about 4 minutes on 2 cores and 1.5 GB of modules the first time)"
  work="$CACHE/wrapper"
  rm -rf "$work"
  mkdir -p "$work"
  cat >"$work/go.mod" <<MOD
module partnerattribution.local/pulumi-wrapper

go 1.24

require (
	github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
MOD
  cat >"$work/tools.go" <<'GO'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GO
  # Resolve the module graph at exactly the pinned version; a version the proxy refuses fails here, loudly
  # (never a silent upgrade to another version that would then be stamped with the pinned one).
  (cd "$work" && go mod download github.com/pulumi/pulumi/pkg/v3 github.com/pulumi/pulumi/sdk/v3) \
    || fail "the Go module proxy does not serve pulumi $PULUMI_VERSION; set PULUMI_VERSION to one it has (go list -m -versions github.com/pulumi/pulumi/pkg/v3)"
  (cd "$work" && go mod tidy >/dev/null 2>"$work/tidy.log") || { cat "$work/tidy.log" >&2; fail "go mod tidy failed"; }
  resolved=$(cd "$work" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)
  [ "$resolved" = "$PULUMI_VERSION" ] || fail "the wrapper resolved pkg/v3 $resolved, not $PULUMI_VERSION"
  (cd "$work" && go build -trimpath -tags osusergo,grpcnotrace \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
      -o "$BIN/pulumi.partial" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  mv "$BIN/pulumi.partial" "$BIN/pulumi"
  built=$("$BIN/pulumi" version)
  [ "$built" = "$PULUMI_VERSION" ] || fail "the built CLI says it is '$built', not $PULUMI_VERSION"
  say "pulumi $built built in $(( $(date +%s) - start )) s"
fi

if [ -x "$BIN/pulumi-language-yaml" ]; then
  say "pulumi-language-yaml $PULUMI_YAML_VERSION: already built"
else
  command -v go >/dev/null || { say "Go is needed to build pulumi-language-yaml (https://go.dev/dl/)"; exit 3; }
  t=$(date +%s)
  say "building pulumi-language-yaml $PULUMI_YAML_VERSION (about a minute)"
  GOFLAGS="" GOBIN="$BIN" go install "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@$PULUMI_YAML_VERSION"
  say "pulumi-language-yaml built in $(( $(date +%s) - t )) s"
fi

launcher="$(go env GOMODCACHE 2>/dev/null || true)/github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION/python/dist/pulumi-resource-pulumi-python"
if [ -f "$launcher" ]; then
  cp "$launcher" "$BIN/pulumi-resource-pulumi-python.partial"   # the release's own launcher, at the CLI's version
else
  cat >"$BIN/pulumi-resource-pulumi-python.partial" <<'SH'
#!/bin/sh
# Pulumi's launcher of Python dynamic providers (sdk/python/dist/pulumi-resource-pulumi-python, without its
# PULUMI_RUNTIME_VIRTUALENV branch): the SDK's provider host in the program's interpreter.
exec "${PULUMI_PYTHON_CMD:-python3}" -u -m pulumi.dynamic "$@"
SH
fi
chmod +x "$BIN/pulumi-resource-pulumi-python.partial"
mv "$BIN/pulumi-resource-pulumi-python.partial" "$BIN/pulumi-resource-pulumi-python"
say "toolchain ready in $BIN ($(( $(date +%s) - start )) s)"
echo "$BIN"
