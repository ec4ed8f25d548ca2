#!/usr/bin/env bash
# The one rollsim build. CI (.ci/run), the Dockerfile's build stage and
# releases all run this script, so the binary users get is the one CI tested:
# static (CGO_ENABLED=0, no libc needed: runs on scratch or distroless),
# reproducible paths (-trimpath), stripped, and versioned with
# -X main.version=$ROLLSIM_VERSION when set (else `rollsim version` reads the
# module version or the VCS revision from the build info).
#
#   hack/build.sh [OUTPUT]        # default bin/rollsim
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-bin/rollsim}"
# -buildvcs=auto: stamp the revision even where GOFLAGS turns it off (it is
# skipped without error where there is no repository, e.g. in the image build).
CGO_ENABLED=0 go build -buildvcs=auto -trimpath -ldflags "-s -w -X main.version=${ROLLSIM_VERSION:-}" -o "$out" ./cmd/rollsim
