#!/bin/sh
# ci/cron/leakbench-nightly.sh - leakbench's nightly job on a plain machine, from cron:
#
#   30 2 * * *  /path/to/leakbench/ci/cron/leakbench-nightly.sh /srv/leakbench >>/srv/leakbench/nightly.log 2>&1
#
# WORKDIR holds leakbench.ini (and its scenarios); the database, cache and site live where
# the config says.  A lock keeps a slow night from overlapping the next one.  With
# LEAKBENCH_PUBLISH=DIR set, the site is copied there after the run (a web server's root);
# it carries the database (leakbench.db), which `history-from = DIR/leakbench.db` in the
# config restores on a night that finds its own gone.
# Exit status: nightly's (0 nothing new, 1 something flagged, 3 trouble), 75 when another
# run still holds the lock.
set -u
workdir=${1:?usage: leakbench-nightly.sh WORKDIR}
here=$(cd "$(dirname "$0")/../.." && pwd)
lb=${LEAKBENCH:-$here/leakbench}
cd "$workdir" || exit 2
exec 9>"$workdir/.nightly.lock"
if ! flock -n 9; then
	echo "$(date -u +%FT%TZ) leakbench nightly: the previous run still holds $workdir/.nightly.lock"
	exit 75
fi
echo "$(date -u +%FT%TZ) leakbench nightly: start"
status=0
"$lb" nightly || status=$?
if [ -n "${LEAKBENCH_PUBLISH:-}" ]; then
	site=$(sed -n 's/^site *= *\([^ ;#]*\).*/\1/p' leakbench.ini | head -n 1)
	mkdir -p "$LEAKBENCH_PUBLISH" && cp -R "${site:-site}/." "$LEAKBENCH_PUBLISH/"
fi
echo "$(date -u +%FT%TZ) leakbench nightly: done, exit $status"
exit "$status"
