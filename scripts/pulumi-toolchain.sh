#!/usr/bin/env bash
# Build the pinned Pulumi CLI and the YAML language host from the Go module proxy, once, into a cache
# outside the clone; later runs reuse it. Prints the bin folder on stdout (progress on stderr).
#
# Why a wrapper module: `go install github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@VERSION` is refused because
# pkg/v3's go.mod has replace directives (sdk/v3 => ../sdk, atotto/clipboard => tgummerer/clipboard).
# The wrapper requires pkg/v3 and sdk/v3 at the same version and repeats the non-local replace.
# The version is set with the linker flag Pulumi's release uses (-X .../sdk/v3/go/common/version.Version);
# without it `pulumi version` prints nothing and the Automation API refuses refresh and destroy.
# Facts: reference/pulumi-engine/FACTS.md.
set -euo pipefail
PULUMI_VERSION="${PULUMI_VERSION:-v3.272.0}"      # the same version as the pinned Python SDK (requirements.txt)
PULUMI_YAML_VERSION="${PULUMI_YAML_VERSION:-v1.25.0}"
CACHE="${PARTNER_ATTRIBUTION_TOOLCHAIN:-${XDG_CACHE_HOME:-$HOME/.cache}/partner-attribution/pulumi-$PULUMI_VERSION}"
BIN="$CACHE/bin"
mkdir -p "$BIN"
start=$(date +%s)
say() { echo "pulumi-toolchain: $*" >&2; }
export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=mod" GOTOOLCHAIN=local
if [ -x "$BIN/pulumi" ] && "$BIN/pulumi" version 2>/dev/null | grep -qx "$PULUMI_VERSION"; then
  say "pulumi $PULUMI_VERSION already built in $BIN"
else
  command -v go >/dev/null || { say "Go is needed to build the Pulumi CLI (https://go.dev/dl/)"; exit 3; }
  say "building pulumi $PULUMI_VERSION from the Go module proxy (about 4 minutes on 2 cores, 1.5 GB of modules)"
  work="$CACHE/wrapper"
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
  (cd "$work" && go mod tidy -e >/dev/null 2>&1 || true
   cd "$work" && go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$PULUMI_VERSION" >/dev/null 2>&1 || true
   cd "$work" && go build -trimpath -tags osusergo,grpcnotrace \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
      -o "$BIN/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  say "pulumi $("$BIN/pulumi" version) built in $(( $(date +%s) - start )) s"
fi
if [ ! -x "$BIN/pulumi-language-yaml" ]; then
  t=$(date +%s)
  say "building pulumi-language-yaml $PULUMI_YAML_VERSION (about a minute)"
  GOBIN="$BIN" go install "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@$PULUMI_YAML_VERSION"
  say "pulumi-language-yaml built in $(( $(date +%s) - t )) s"
fi
echo "$BIN"
