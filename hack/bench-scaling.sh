#!/usr/bin/env bash
# The scaling figures of the performance targets, measured as paired rounds
# (each round runs both benchmarks of a pair back to back, so a busy machine
# slows both): 300 vs 3 replicas and a 24-hour vs a 40-minute rollout, as
# CPU-time ratios. Usage: hack/bench-scaling.sh [rounds] (default 8).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-8}"
bin="$(mktemp -d "${TMPDIR:-/work/tmpbin}/bench.XXXXXX")"
trap 'rm -rf "$bin"' EXIT
go test -c -o "$bin/sim.test" ./sim
cpu() { # benchmark name -> cpu-ms/op
  (cd sim && "$bin/sim.test" -test.run '^$' -test.bench "^$1\$" -test.benchtime "${2}" -test.count 1) |
    awk '/cpu-ms\/op/ { for (i = 1; i < NF; i++) if ($(i+1) == "cpu-ms/op") print $i }'
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %10s %10s %7s %10s %10s %7s\n' round 3-repl 300-repl ratio 40m 24h ratio
for i in $(seq "$rounds"); do
  a=$(cpu BenchmarkSeedReplicas3 300x); b=$(cpu BenchmarkSeedReplicas300 300x)
  c=$(cpu BenchmarkSeed40m 300x); d=$(cpu BenchmarkSeed24h 30x)
  awk -v i="$i" -v a="$a" -v b="$b" -v c="$c" -v d="$d" 'BEGIN { printf "%-6s %10s %10s %7.2f %10s %10s %7.2f\n", i, a, b, b / a, c, d, d / c }'
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
