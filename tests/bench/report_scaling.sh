#!/bin/sh
# make bench: the dashboard over a long history, 500 against 5,000 revisions (3 runs each,
# 90 metrics a run), each size in a fresh process: the first report of the history (every
# page written) and the next night's (the previous site there, its run pages taken over).
# Goals: 5,000 revisions' report under 3 s, first and next night, and at most 12x the time of 500
# (linear, where the history's scans were quadratic).  Then the 5,000-revision pages in
# headless Chromium, each a fresh browser, against a blank page in the same run (the
# browser's own start): the trend page, zoomed and hovered by its #selftest, and the chart of
# every metric must open in under a second of their own.
set -eu
bench=${1:?usage: report_scaling.sh REPORT_BENCH}
dir=$(mktemp -d /tmp/leakbench-report-XXXXXX)
trap 'rm -rf "$dir"' EXIT
# The CPU time is printed beside the wall time: this VM's ext4 has no journal, and without
# one the kernel, making a file, skips inodes freed recently (recently_deleted, a scan per
# new file over every one freed in the last minutes); when a report wrote a page for each of
# the 15,000 runs, after earlier benches' deleted sites that cost 5 to 9 s of system time
# instead of 0.4 s.  5,000 first, so the 500-revision site it replaces has not just been
# deleted.
for n in 5000 500; do
	first=$("$bench" "$dir" "$n")     # writes the database, then the first report
	# the same history, the site of the one before there: three fresh processes, the median
	# (a 500-revision one takes a tenth of a second, where one scheduling hiccup shows)
	again=$(for k in 1 2 3; do "$bench" "$dir" "$n"; done | sort -n -k4 | sed -n 2p)
	echo "$first" | awk '{ printf "bench: report of %d revisions (%d runs): first %.2f s (CPU: %.2f s user, %.2f s sys), %d pages, trend page %.1f MB\n", $2, $3, $4, $7, $8, $5, $6 / 1e6 }'
	echo "$again" | awk '{ printf "bench: report of %d revisions again: %.2f s (median of 3)\n", $2, $4 }'
	eval "first_$n=$(echo "$first" | awk '{ print $4 }') again_$n=$(echo "$again" | awk '{ print $4 }')"
done
awk -v f5="$first_500" -v f50="$first_5000" -v a5="$again_500" -v a50="$again_5000" 'BEGIN {
	printf "bench: 5,000 against 500 revisions: first report %.1fx, next night %.1fx (goal <= 12x); at 5,000: first %.2f s, next night %.2f s (goal < 3 s)\n", f50 / f5, a50 / a5, f50, a50
}'
command -v chromium >/dev/null || { echo "bench: no chromium: the pages' opening time not measured"; exit 0; }
printf '<!doctype html><title>blank</title><pre id="selftest">{}</pre>\n' > "$dir/site-5000/blank.html"
open_page() { # seconds for a fresh headless Chromium to load, run and dump the page
	s=$(date +%s.%N)
	timeout 120 chromium --headless --no-sandbox --disable-gpu --window-size=1000,700 --dump-dom "file://$dir/site-5000/$1" 2>/dev/null |
		grep -q 'id="selftest"[^>]*>{' || { echo "bench: $1 did not run its selftest" >&2; exit 1; }
	awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN { printf "%.3f\n", e - s }'
}
for round in 1 2 3; do # the best of three fresh browsers each, interleaved
	b=$(open_page blank.html); t=$(open_page 'm-big-edits-max_live_bytes.html#selftest'); o=$(open_page 'o-big-edits.html#selftest')
	echo "$b $t $o"
done | awk -v ts="$(stat -c %s "$dir/site-5000/m-big-edits-max_live_bytes.html")" -v os="$(stat -c %s "$dir/site-5000/o-big-edits.html")" '
	NR == 1 || $1 < b { b = $1 } NR == 1 || $2 < t { t = $2 } NR == 1 || $3 < o { o = $3 }
	END {
		printf "bench: 5,000-revision pages in headless Chromium (best of 3, fresh browsers): blank page %.2f s, trend %.2f s (%.0f KB), every metric %.2f s (%.0f KB)\n", b, t, ts / 1e3, o, os / 1e3
		printf "bench: their own share: trend %.2f s, every metric %.2f s (goal < 1 s each)\n", t - b, o - b
	}'
