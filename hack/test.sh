#!/usr/bin/env bash
# The whole test suite, as the README says: build the envtest assets when
# missing or stale (hack/envtest-assets.sh; instant when built), then
# `go test ./...`. Extra arguments go to `go test` (e.g. -count=1 -v).
set -euo pipefail
cd "$(dirname "$0")/.."
./hack/envtest-assets.sh
exec go test "$@" ./...
