#!/bin/sh
# make bench: the detection rate of leakbench's verdict at the noise leakbench measures.
# Runs a GHC fixture 10 times under `leakbench exec`, takes the robust spread of its
# max_live_bytes (1.4826 * MAD of the logs), and simulates planted 5% steps and no-change
# pairs at that noise and at some larger ones for comparison.
set -eu
lb=${1:?usage: detect_sim.sh LEAKBENCH SIM FIXTURES}
sim=${2:?usage: detect_sim.sh LEAKBENCH SIM FIXTURES}
fx=${3:?usage: detect_sim.sh LEAKBENCH SIM FIXTURES}
dir=$(mktemp -d /tmp/leakbench-bench-XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$lb" exec --db "$dir/n.db" --artifacts "$dir/art" --repeat 10 -- "$fx/target" grow 300000 >/dev/null
sqlite3 "$dir/n.db" "SELECT value FROM metrics WHERE name = 'max_live_bytes'" >"$dir/v"
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
awk '{ printf "%.12f\n", log($1) }' "$dir/v" >"$dir/logs"
m=$(median <"$dir/logs")
mad=$(awk -v m="$m" '{ d = $1 - m; printf "%.12f\n", (d < 0 ? -d : d) }' "$dir/logs" | median)
sigma=$(awk -v mad="$mad" 'BEGIN { s = 1.4826 * mad; if (s < 0.0005) s = 0.0005; printf "%.5f", s }')
echo "bench: verdicts on simulated pairs; max_live_bytes of '$fx/target grow 300000' over 10 runs: noise $sigma (floored at 0.05%)"
"$sim" "$sigma" 0.005 0.01 0.02 0.04
