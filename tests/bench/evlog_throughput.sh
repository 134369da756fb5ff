#!/bin/sh
# make bench, part 2: generate a large eventlog (>= 200 MB) from a GHC program with frequent
# GCs, -hT censuses and many user events, then measure the reader on it.
set -eu
bench=${1:?usage: evlog_throughput.sh EVLOG_BENCH FIXTURES}
fx=${2:?usage: evlog_throughput.sh EVLOG_BENCH FIXTURES}
dir=$(mktemp -d /tmp/leakbench-evbench-XXXXXX)
trap 'rm -rf "$dir"' EXIT
iters=${EVGEN_ITERS:-9000000}
echo "bench: generating an eventlog ($iters iterations of evgen)"
"$fx/evgen" "$iters" +RTS -l -hT -i0.01 -A64k "-ol$dir/big.eventlog" -RTS >/dev/null
"$bench" "$dir/big.eventlog"
