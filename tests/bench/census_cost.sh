#!/bin/sh
# make bench: what the default heap census costs on a program holding 120+ MiB live while
# allocating steadily (the fixture's `steady` mode), against the same program measured
# without a census.  Each figure is a fresh `leakbench exec` process; ROUNDS (default 2)
# rounds interleave the three ways so a busy machine slows them alike:
#   none     --no-heap-profile
#   first    the default with no earlier run to learn from (-i0.1, the RTS's default)
#   learned  the default once a run of the same program is stored (the interval it learns)
# Goal: learned within 1.25x of none, with at least 5 censuses.
set -eu
lb=${1:?usage: census_cost.sh LEAKBENCH FIXTURES}
fx=${2:?usage: census_cost.sh LEAKBENCH FIXTURES}
rounds=${ROUNDS:-2}
dir=$(mktemp -d /tmp/leakbench-bench-XXXXXX)
trap 'rm -rf "$dir"' EXIT
prog="$fx/target steady 3000000 40000"
wall() { sqlite3 "$1" "SELECT wall_seconds FROM runs ORDER BY started_at DESC LIMIT 1"; }
censuses() { sqlite3 "$1" "SELECT value FROM metrics m JOIN runs r ON r.id = m.run_id WHERE m.name = 'eventlog.census_samples' ORDER BY r.started_at DESC LIMIT 1"; }
interval() { sqlite3 "$1" "SELECT substr(rts_flags, instr(rts_flags, '-i')) FROM runs ORDER BY started_at DESC LIMIT 1"; }
r=0
: >"$dir/rows"
while [ "$r" -lt "$rounds" ]; do
	# shellcheck disable=SC2086
	"$lb" exec --db "$dir/none.db" --artifacts "$dir/a" --repeat 1 --no-heap-profile -- $prog >/dev/null
	rm -f "$dir/first.db"
	# shellcheck disable=SC2086
	"$lb" exec --db "$dir/first.db" --artifacts "$dir/a" --repeat 1 -- $prog >/dev/null
	cp "$dir/first.db" "$dir/learned.db"
	# shellcheck disable=SC2086
	"$lb" exec --db "$dir/learned.db" --artifacts "$dir/a" --repeat 1 -- $prog >/dev/null
	echo "$(wall "$dir/none.db") $(wall "$dir/first.db") $(censuses "$dir/first.db") $(wall "$dir/learned.db") $(censuses "$dir/learned.db") $(interval "$dir/learned.db")" >>"$dir/rows"
	r=$((r + 1))
done
echo "bench: the census's cost on '$prog' (120+ MiB live), $rounds rounds"
awk '{ n += $1; f += $2; fc += $3; l += $4; lc += $5; i = $6 } END {
	printf "  none     %6.2f s\n", n / NR
	printf "  first    %6.2f s  %.2fx  %.0f censuses (-i0.1)\n", f / NR, f / n, fc / NR
	printf "  learned  %6.2f s  %.2fx  %.0f censuses (%s)   goal: <= 1.25x with >= 5\n", l / NR, l / n, lc / NR, i }' "$dir/rows"
