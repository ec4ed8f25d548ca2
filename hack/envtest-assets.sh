#!/usr/bin/env bash
# Builds the envtest assets -- kube-apiserver (k8s.io/kubernetes v1.37.2) and
# etcd (go.etcd.io/etcd/server/v3 v3.6.16) -- from the Go module proxy into
# bin/envtest/ (or $ROLLSIM_ENVTEST_ASSETS). The sources are the small modules
# under tools/envtest/, kept out of the main module by their own go.mod.
#
# Idempotent: a binary is rebuilt only when its module files, the Go version or
# the build flags changed (a stamp next to it records their hash), so a warm run
# takes well under a second. Cold: about 5 minutes on 2 cores, mostly
# kube-apiserver.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${ROLLSIM_ENVTEST_ASSETS:-$root/bin/envtest}"
mkdir -p "$out"
goversion="$(go env GOVERSION)"

# build NAME LDFLAGS: tools/envtest/NAME -> $out/NAME
build() {
	local name="$1" ldflags="$2" src="$root/tools/envtest/$1"
	local stamp="$out/.$name.stamp" want
	want="$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go <(echo "$goversion $ldflags") | sha256sum | cut -d' ' -f1)"
	if [[ -x "$out/$name" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
		return 0
	fi
	echo "envtest-assets: building $name (first time: minutes) ..." >&2
	local began=$SECONDS
	(cd "$src" && CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$out/$name.tmp" .)
	mv "$out/$name.tmp" "$out/$name"
	echo "$want" >"$stamp"
	echo "envtest-assets: built $out/$name in $((SECONDS - began))s" >&2
}

build etcd "-s -w"
v=k8s.io/component-base/version
build kube-apiserver "-s -w -X $v.gitVersion=v1.37.2 -X $v.gitMajor=1 -X $v.gitMinor=37 -X $v.gitTreeState=clean"
