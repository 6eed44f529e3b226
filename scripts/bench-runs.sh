#!/usr/bin/env bash
# Runs the scenarios of docs/benchmarks.md three times each, one after the
# other, each after the machine has been quiet (< 5 % busy for 5 s), and
# writes one JSON result per run into OUT (default ./bench-runs).
#
#   go build -o /tmp/ivn ./cmd/ivvy-notify
#   scripts/bench-runs.sh /tmp/ivn [OUT]
#
# SCENARIOS picks the scenarios (default "a c b d"), RUNS how many runs of
# each (default 3), RUNS_C for (c), whose latency varies most from run to
# run (default RUNS), and RUNS_D for (d), five minutes each and measuring
# memory rather than a ratio (default 1); set IVVY_NOTIFY_BENCH_PG to a
# PostgreSQL URL to add one PostgreSQL run (p).
set -euo pipefail
bin=${1:?usage: scripts/bench-runs.sh BINARY [OUT]}
out=${2:-bench-runs}
mkdir -p "$out"

# quiet waits (up to 5 minutes) until the machine was < 5 % busy for 5 s.
quiet() {
  local i a b ta tb v idle tot
  for i in $(seq 1 60); do
    read -ra a < /proc/stat; sleep 5; read -ra b < /proc/stat
    ta=0; for v in "${a[@]:1}"; do ta=$((ta + v)); done
    tb=0; for v in "${b[@]:1}"; do tb=$((tb + v)); done
    idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )); tot=$((tb - ta))
    if (( (tot - idle) * 100 / tot < 5 )); then return; fi
  done
}

# run NAME ARGS... runs one scenario RUNS times (RUNS_C for c, RUNS_D for d).
run() {
  local name=$1 k n=${RUNS:-3}; shift
  [[ $name == c ]] && n=${RUNS_C:-$n}
  [[ $name == d ]] && n=${RUNS_D:-1}
  for k in $(seq 1 "$n"); do
    quiet
    echo "$(date +%T) $name-$k" >&2
    "$bin" bench "$@" --json --quiet > "$out/$name-$k.json"
  done
}

for s in ${SCENARIOS:-a c b d}; do
  case $s in
  a) run a --events 10000 ;;
  b) run b --events 100000 ;;
  c) run c --events 10000 --rate-of-ceiling 0.5 --batch 1 --concurrency 32 ;;
  d) run d --events 200000 --batch 100 --concurrency 16 --receiver-down --hold 30s --probes 30 ;;
  *) echo "unknown scenario $s" >&2; exit 2 ;;
  esac
done
if [[ -n ${IVVY_NOTIFY_BENCH_PG:-} ]]; then
  quiet
  "$bin" bench --events 10000 --database-url "$IVVY_NOTIFY_BENCH_PG" --json --quiet > "$out/p-1.json"
fi
