#!/bin/sh
# make bench: the dashboard over a long history, 500 against 5,000 revisions (3 runs each,
# 90 metrics a run), each size in a fresh process: the first report of the history (every
# page written) and the next night's (the previous site there, its run pages taken over).
# Goals: 5,000 revisions' next-night report under 3 s, and at most 12x the time of 500
# (linear, where the history's scans were quadratic).
set -eu
bench=${1:?usage: report_scaling.sh REPORT_BENCH}
dir=$(mktemp -d /tmp/leakbench-report-XXXXXX)
trap 'rm -rf "$dir"' EXIT
for n in 500 5000; do
	first=$("$bench" "$dir" "$n")     # writes the database, then the first report
	again=$("$bench" "$dir" "$n")     # the same history, the site of the first one there
	echo "$first" | awk '{ printf "bench: report of %d revisions (%d runs): first %.2f s, %d pages, trend page %.1f MB\n", $2, $3, $4, $5, $6 / 1e6 }'
	echo "$again" | awk '{ printf "bench: report of %d revisions again: %.2f s\n", $2, $4 }'
	eval "first_$n=$(echo "$first" | awk '{ print $4 }') again_$n=$(echo "$again" | awk '{ print $4 }')"
done
awk -v f5="$first_500" -v f50="$first_5000" -v a5="$again_500" -v a50="$again_5000" 'BEGIN {
	printf "bench: 5,000 against 500 revisions: first report %.1fx, next night %.1fx (goal <= 12x); next night at 5,000: %.2f s (goal < 3 s)\n", f50 / f5, a50 / a5, a50
}'
