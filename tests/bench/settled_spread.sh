#!/bin/sh
# make bench: how steady settled_live_bytes is beside max_live_bytes, on the same runs.
# Runs the fixture LSP server (threaded, like HLS) through 8 edits with a checkpoint after
# each, RUNS times (default 8), and prints each metric's robust spread (1.4826 * MAD of the
# logs, as a percentage) and range.  max_live_bytes depends on when the GCs happen to come;
# settled_live_bytes is the median of the checkpoints' figures, each after an idle major GC.
set -eu
lb=${1:?usage: settled_spread.sh LEAKBENCH FIXTURES}
fx=${2:?usage: settled_spread.sh LEAKBENCH FIXTURES}
runs=${RUNS:-8}
dir=$(mktemp -d /tmp/leakbench-bench-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/s.scn" <<'SCN'
scenario settle-spread
runner lsp
args --test
rts -I0.3
codebase generate modules=12 layers=3 seed=1
open L2/M0.hs
open L0/M0.hs
wait idle
settle 1s
mark warm
repeat 8
  edit L0/M0.hs replace /\[x, [0-9]+\]/ "[x, {i}]"
  wait notification kick/done
  settle 1s
  mark edit
end
SCN
i=0
while [ "$i" -lt "$runs" ]; do
	"$lb" run --db "$dir/s.db" --artifacts "$dir/art" --scenario "$dir/s.scn" --program "$fx/lspfix" >/dev/null
	i=$((i + 1))
done
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "bench: spread over $runs runs of the fixture server, 8 checkpoints each"
for m in settled_live_bytes max_live_bytes; do
	sqlite3 "$dir/s.db" "SELECT value FROM metrics WHERE name = '$m'" >"$dir/v"
	awk '{ printf "%.12f\n", log($1) }' "$dir/v" >"$dir/logs"
	md=$(median <"$dir/logs")
	mad=$(awk -v m="$md" '{ d = $1 - m; printf "%.12f\n", (d < 0 ? -d : d) }' "$dir/logs" | median)
	sort -g "$dir/v" | awk -v m="$m" -v mad="$mad" '{a[NR]=$1} END {
		printf "  %-20s spread %6.2f%%   range %.2f .. %.2f MiB\n", m, 100 * 1.4826 * mad, a[1] / 1048576, a[NR] / 1048576 }'
done
