#!/bin/sh
# make bench: what does `leakbench exec` cost?  Runs one GHC program directly and under
# `leakbench exec` (interleaved, so drift on a shared machine hits both sides alike) and
# prints the ratio of median wall times, and whether allocated_bytes is identical both ways.
#   direct-same-flags: the program with the same +RTS measurement flags leakbench adds,
#                      started by hand -> the ratio is leakbench's own overhead (goal < 2%)
#   direct-plain:      the program with only -t --machine-readable -> the cost of the
#                      measurement flags themselves (eventlog, -hT census), for information
set -eu
lb=${1:?usage: exec_overhead.sh LEAKBENCH FIXTURES}
fx=${2:?usage: exec_overhead.sh LEAKBENCH FIXTURES}
prog="$fx/target"
args="alloc 4000000"
rounds=${ROUNDS:-9}
dir=$(mktemp -d /tmp/leakbench-bench-XXXXXX)
trap 'rm -rf "$dir"' EXIT

now() { date +%s.%N; }
alloc_of() { sed -n 's/.*("allocated_bytes", "\([0-9]*\)").*/\1/p' "$1"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
minimum() { sort -g | head -n 1; }

echo "bench: $prog $args, $rounds interleaved rounds"
: >"$dir/lb" ; : >"$dir/same" ; : >"$dir/plain"
for i in $(seq "$rounds"); do
  t0=$(now)
  "$lb" exec --db "$dir/b.db" --artifacts "$dir/art" --repeat 1 -- $prog $args >/dev/null
  t1=$(now)
  $prog +RTS "-t$dir/same.txt" --machine-readable -l-agu "-ol$dir/same.eventlog" -hT -i0.1 -RTS $args >/dev/null
  t2=$(now)
  $prog +RTS "-t$dir/plain.txt" --machine-readable -RTS $args >/dev/null
  t3=$(now)
  awk "BEGIN {print $t1 - $t0}" >>"$dir/lb"
  awk "BEGIN {print $t2 - $t1}" >>"$dir/same"
  awk "BEGIN {print $t3 - $t2}" >>"$dir/plain"
done
lb_med=$(median <"$dir/lb"); same_med=$(median <"$dir/same"); plain_med=$(median <"$dir/plain")
stored=$(sqlite3 "$dir/b.db" "SELECT DISTINCT CAST(value AS INTEGER) FROM metrics WHERE name='allocated_bytes'" 2>/dev/null || echo "?")
printf 'median wall: leakbench exec %.3fs, direct with the same flags %.3fs, direct plain %.3fs\n' "$lb_med" "$same_med" "$plain_med"
lb_min=$(minimum <"$dir/lb"); same_min=$(minimum <"$dir/same")
printf 'overhead of leakbench itself: %.2f%% by medians, %.2f%% by minimums (goal < 2%%; the\n' \
  "$(awk "BEGIN {print ($lb_med / $same_med - 1) * 100}")" "$(awk "BEGIN {print ($lb_min / $same_min - 1) * 100}")"
echo '  minimums are the steadier estimate on a shared machine)'
printf 'cost of the measurement flags (eventlog, -hT census): %.2f%%\n' "$(awk "BEGIN {print ($same_med / $plain_med - 1) * 100}")"
a_same=$(alloc_of "$dir/same.txt"); a_plain=$(alloc_of "$dir/plain.txt")
echo "allocated_bytes: leakbench exec $stored, direct with flags $a_same, direct plain $a_plain"
if [ "$stored" = "$a_same" ] && [ "$stored" = "$a_plain" ]; then echo "allocation: identical"; else echo "allocation: DIFFERS"; exit 1; fi

# The fixed cost per measured run (probe, environment, collection, one SQLite transaction),
# from a program that does almost nothing: the steadiest figure of leakbench's own cost.
n=20
t0=$(now)
for i in $(seq $n); do "$lb" exec --db "$dir/b.db" --artifacts "$dir/art" --repeat 1 -- $prog alloc 10 >/dev/null; done
t1=$(now)
for i in $(seq $n); do $prog +RTS "-t$dir/s.txt" --machine-readable -l-agu "-ol$dir/s.eventlog" -hT -i0.1 -RTS alloc 10 >/dev/null; done
t2=$(now)
awk "BEGIN {printf \"fixed cost per run: %.1f ms (leakbench exec %.1f ms, direct %.1f ms, means of $n)\n\", (($t1 - $t0) - ($t2 - $t1)) * 1000 / $n, ($t1 - $t0) * 1000 / $n, ($t2 - $t1) * 1000 / $n}"
