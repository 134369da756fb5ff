#!/bin/sh
# ci/cron/leakbench-nightly.sh - leakbench's nightly job on a plain machine, from cron, and
# the same machine's check of a branch or pull request:
#
#   30 2 * * *  /path/to/leakbench/ci/cron/leakbench-nightly.sh /srv/leakbench >>/srv/leakbench/nightly.log 2>&1
#   /path/to/leakbench/ci/cron/leakbench-nightly.sh --check BASE HEAD /srv/leakbench [CHECK OPTIONS...]
#
# WORKDIR holds leakbench.ini (and its scenarios); the database, cache and site live where
# the config says.  One lock keeps a slow night from overlapping the next one, and a check
# from measuring while the night does (or the other way round).  With LEAKBENCH_PUBLISH=DIR
# set, the site is copied there after the night (a web server's root); it carries the
# database (leakbench.db), which `history-from = DIR/leakbench.db` in the config restores
# on a night that finds its own gone.
#
# --check BASE HEAD runs `leakbench check --rev HEAD --baseline BASE` (BASE: the merge base,
# `git merge-base master HEAD`) with the options after WORKDIR (--scenario, --trailers FILE
# for the pull request's description, ...).  Its runs go to WORKDIR/checks/checks.db, which
# takes the nightly database's runs first (`leakbench merge`, only what is new to it), so
# the base is measured once and a pull request's head never shows in the nightly trends.
# The comparison goes to WORKDIR/checks/NAME.md (NAME: HEAD, made safe for a file name) for
# a comment, the pages of what grew to WORKDIR/checks/NAME/, or to LEAKBENCH_PUBLISH/checks/NAME
# with the Markdown linking them under LEAKBENCH_PUBLISH_URL when those are set.
# Exit status: nightly's (0 nothing new, 1 something flagged, 3 trouble) or check's (0 good,
# 1 bad, 125 cannot be tested, 128 trouble), 75 when another run still holds the lock.
set -u
check=
if [ "${1:-}" = --check ]; then
	base=${2:?usage: leakbench-nightly.sh --check BASE HEAD WORKDIR [CHECK OPTIONS...]}
	head=${3:?usage: leakbench-nightly.sh --check BASE HEAD WORKDIR [CHECK OPTIONS...]}
	check=yes
	shift 3
fi
workdir=${1:?usage: leakbench-nightly.sh [--check BASE HEAD] WORKDIR}
shift
here=$(cd "$(dirname "$0")/../.." && pwd)
lb=${LEAKBENCH:-$here/leakbench}
cd "$workdir" || exit 2
exec 9>"$workdir/.nightly.lock"
if ! flock -n 9; then
	echo "$(date -u +%FT%TZ) leakbench: the previous run still holds $workdir/.nightly.lock"
	exit 75
fi
setting() { sed -n "s/^$1 *= *\([^ ;#]*\).*/\1/p" leakbench.ini | head -n 1; }
if [ -n "$check" ]; then
	name=$(printf '%s' "$head" | tr -c 'A-Za-z0-9._-' '_')
	site=checks/$name url=
	if [ -n "${LEAKBENCH_PUBLISH:-}" ]; then
		site=$LEAKBENCH_PUBLISH/checks/$name
		url=${LEAKBENCH_PUBLISH_URL:+$LEAKBENCH_PUBLISH_URL/checks/$name}
	fi
	echo "$(date -u +%FT%TZ) leakbench check: $head against $base"
	mkdir -p checks
	db=$(setting database)
	if [ -f "${db:-leakbench.db}" ] && ! "$lb" merge checks/checks.db "${db:-leakbench.db}" >/dev/null; then
		echo "$(date -u +%FT%TZ) leakbench check: could not take the nightly's runs into checks/checks.db"
		exit 128
	fi
	status=0
	"$lb" check --rev "$head" --baseline "$base" --db checks/checks.db --markdown "checks/$name.md" \
		--site "$site" ${url:+--site-url "$url"} "$@" || status=$?
	echo "$(date -u +%FT%TZ) leakbench check: done, exit $status; the comparison: $workdir/checks/$name.md"
	exit "$status"
fi
echo "$(date -u +%FT%TZ) leakbench nightly: start"
status=0
"$lb" nightly "$@" || status=$?
if [ -n "${LEAKBENCH_PUBLISH:-}" ]; then
	site=$(setting site)
	mkdir -p "$LEAKBENCH_PUBLISH" && cp -R "${site:-site}/." "$LEAKBENCH_PUBLISH/"
fi
echo "$(date -u +%FT%TZ) leakbench nightly: done, exit $status"
exit "$status"
