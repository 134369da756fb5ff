#!/bin/sh
# make demo: leakbench's main job, end to end, on a history made here.
#
# A git repository of the fixture LSP server (tests/fixtures/lspfix.hs) over twelve
# commits; commit 7 switches its leak on.  "Last night" measured commit 4.  Tonight's
# `leakbench nightly --every 4` measures commits 8 and 12, flags the leak at 8, bisects
# 4..8 and names commit 7, writes the dashboard (with a page of what grew between commit 7
# and the last good one), and posts the news to the webhook in
# $LEAKBENCH_DEMO_WEBHOOK when that is set.  Takes a few minutes (GHC builds each
# revision it needs; every build and run is real).
set -eu
lb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${DEMO_DIR:-$root/build/demo}
rm -rf "$dir"
mkdir -p "$dir/demo-repo"
cd "$dir/demo-repo"
git init -q .
git config user.name "leakbench demo"
git config user.email "demo@example.org"
cp "$root/tests/fixtures/lspfix.hs" .
n=0
commit() { # a day apart, so history's dates go forward
	n=$((n + 1))
	GIT_AUTHOR_DATE="2026-01-$(printf %02d "$n")T12:00:00Z" GIT_COMMITTER_DATE="2026-01-$(printf %02d "$n")T12:00:00Z" \
		git commit -q -am "$1"
}
git add lspfix.hs
commit "1: the fixture server"
version() { sed -i "s/(\"lspfix[^\"]*\" :: T.Text)\]/(\"lspfix $1\" :: T.Text)]/" lspfix.hs; }
for k in 2 3 4; do version "$k"; commit "$k: version $k"; done

cd "$dir"
cp "$root/demo/edits.scn" edits.scn
cat >leakbench.ini <<INI
[leakbench]
database = demo.db
cache = cache
site = site
bisect = yes

[target fixture]
repo = demo-repo
build = ghc -v0 -O0 -threaded -rtsopts -eventlog -outputdir {out}/o -o {out}/lspfix {src}/lspfix.hs
program = lspfix
args = --test
runner = lsp
build-timeout = 10m

[scenario edits]
file = edits.scn

[notify]
webhook-env = LEAKBENCH_DEMO_WEBHOOK
INI
echo "== last night: commit 4 is measured"
"$lb" sweep --target fixture HEAD

echo "== during the day, eight commits land; the 7th keeps every module environment"
cd demo-repo
for k in 5 6 7 8 9 10 11 12; do
	version "$k"
	[ "$k" = 7 ] && sed -i 's/("--leak" `elem` args)/("--leak" `elem` args || True)/' lspfix.hs
	msg="$k: version $k"
	[ "$k" = 7 ] && msg="7: keep module environments for faster rechecks"
	commit "$msg"
done
cd "$dir"

echo "== tonight: leakbench nightly --every 4"
status=0
"$lb" nightly --every 4 || status=$?
echo
leak=$(git -C demo-repo rev-parse HEAD~5)
if [ "$status" = 1 ] && sqlite3 demo.db "SELECT result_sha FROM bisects" | grep -q "$leak"; then
	echo "demo: the nightly job flagged the leak and bisected it to $(git -C demo-repo log -1 --format='%h %s' "$leak")"
else
	echo "demo: expected the leak to be flagged (exit 1) and bisected to $leak; nightly exited $status" >&2
	exit 1
fi
echo "demo: the dashboard is $dir/site/index.html"
grew=$(ls "$dir"/site/c-fixture-edits-*-"$(echo "$leak" | cut -c1-12)".html 2>/dev/null | head -n 1)
if [ -z "$grew" ]; then
	echo "demo: expected a page of what grew at $(echo "$leak" | cut -c1-12) in $dir/site" >&2
	exit 1
fi
echo "demo: what grew at the leak: $grew"
