#!/bin/sh
# make bench, part 2: generate a large eventlog (>= 200 MB) from a GHC program with frequent
# GCs, -hT censuses and many user events, then measure the reader on it: in one process
# (evlog_bench: a bare pass and the summary, warm, and the memory kept), then as a user runs
# it, `leakbench eventlog FILE` one-shot, each a fresh process (start-up, page faults and
# the window's mapping paid every time), the median of ROUNDS (goal: 1.5 GB/s).
set -eu
bench=${1:?usage: evlog_throughput.sh EVLOG_BENCH FIXTURES LEAKBENCH}
fx=${2:?usage: evlog_throughput.sh EVLOG_BENCH FIXTURES LEAKBENCH}
lb=${3:?usage: evlog_throughput.sh EVLOG_BENCH FIXTURES LEAKBENCH}
dir=$(mktemp -d /tmp/leakbench-evbench-XXXXXX)
trap 'rm -rf "$dir"' EXIT
iters=${EVGEN_ITERS:-9000000}
echo "bench: generating an eventlog ($iters iterations of evgen)"
"$fx/evgen" "$iters" +RTS -l -hT -i0.01 -A64k "-ol$dir/big.eventlog" -RTS >/dev/null
"$bench" "$dir/big.eventlog"
bytes=$(stat -c %s "$dir/big.eventlog")
i=0
: >"$dir/t"
while [ "$i" -lt "${ROUNDS:-7}" ]; do
	t0=$(date +%s.%N)
	"$lb" eventlog "$dir/big.eventlog" >/dev/null
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }' >>"$dir/t"
	i=$((i + 1))
done
sort -n "$dir/t" | awk -v n="$bytes" '{ v[NR] = $1 } END {
	m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	printf "bench: leakbench eventlog one-shot on %.0f MB: %.3f s median of %d fresh processes, %.0f MB/s (goal >= 1500)\n", n / 1e6, m, NR, n / 1e6 / m
}'
