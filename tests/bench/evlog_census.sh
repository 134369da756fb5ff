#!/bin/sh
# make bench: the eventlog reader on a census-heavy log, against ghc-events.
#
# A generated GHC program keeps values of 1,000 data types alive (so a -hT census has about
# 1,000 labels) while it allocates, run threaded with a census every millisecond: most of
# its eventlog is census rows, as with a real server profiled closely.  Then, in rounds, each
# in a fresh process (every real run pays its page faults and start-up): `leakbench
# eventlog FILE` (the summary), with --census and with --json, and a small program that
# reads the same file with the ghc-events library (libghc-ghc-events-dev), the Haskell
# reference decoder.  Prints the median of each and the ratios.
#
#   evlog_census.sh LEAKBENCH [ROUNDS]
# Goals: the summary >= 1.5 GB/s and >= 10x ghc-events; --census and --json within 3x of it.
set -eu
lb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
rounds=${2:-${ROUNDS:-5}}
dir=$(mktemp -d /tmp/leakbench-evcensus-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

types=${EVCENSUS_TYPES:-1000}
awk -v n="$types" 'BEGIN {
	print "import Control.Concurrent"
	print "import Control.Monad"
	print "import Data.IORef"
	print "import System.Environment"
	print "-- a chain through every type: one value of each, so every census sees each type; 1 to"
	print "-- 20 chains kept, a different number every round, so no label stays flat"
	for (i = 0; i < n - 1; i++) printf "data T%d = T%d !Int !T%d\n", i, i, i + 1
	printf "data T%d = T%d !Int\n", n - 1, n - 1
	for (i = 0; i < n - 1; i++) printf "mk%d :: Int -> T%d\nmk%d k = T%d k (mk%d k)\n", i, i, i, i, i + 1
	printf "mk%d :: Int -> T%d\nmk%d k = T%d k\n", n - 1, n - 1, n - 1, n - 1
	print "chain :: Int -> T0"
	print "chain = mk0"
	print "first :: T0 -> Int"
	print "first (T0 k _) = k"
	print "main :: IO ()"
	print "main = do"
	print "  [rounds] <- map read <$> getArgs"
	print "  keep <- newIORef []"
	print "  done <- newEmptyMVar"
	print "  _ <- forkIO $ do"
	print "    forM_ [1 .. rounds :: Int] $ \\r -> do"
	print "      let c = chain r"
	print "      c `seq` modifyIORef\x27 keep (\\ks -> let k2 = take (1 + r `mod` 20) (c : ks) in length k2 `seq` k2)"
	print "    putMVar done ()"
	print "  takeMVar done"
	print "  readIORef keep >>= print . sum . map first"
}' >Census.hs
echo "bench: compiling a program with $types data types (for a census of that many labels)"
ghc -v0 -O0 -threaded -rtsopts -eventlog Census.hs -o census
cat >Count.hs <<'EOF'
import GHC.RTS.Events
import System.Environment
main :: IO ()
main = do
  [f] <- getArgs
  r <- readEventLogFromFile f
  case r of
    Left e -> error e
    Right (EventLog _ (Data evs)) -> print (length evs)
EOF
ghc -v0 -O2 Count.hs -o count
./census "${EVCENSUS_ROUNDS:-300000}" +RTS -N2 -hT -i0.001 -l -olcensus.eventlog -RTS >/dev/null
bytes=$(stat -c %s census.eventlog)

now() { date +%s.%N; }
time_of() { # seconds of one fresh process
	t0=$(now)
	"$@" >/dev/null
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
: >summary.t; : >census.t; : >json.t; : >ghcev.t
i=0
while [ "$i" -lt "$rounds" ]; do # interleaved, so the machine's mood falls on all alike
	time_of "$lb" eventlog census.eventlog >>summary.t
	time_of "$lb" eventlog --census census.eventlog >>census.t
	time_of "$lb" eventlog --json census.eventlog >>json.t
	time_of ./count census.eventlog >>ghcev.t
	i=$((i + 1))
done
s=$(median <summary.t) c=$(median <census.t) j=$(median <json.t) g=$(median <ghcev.t)
census=$("$lb" eventlog census.eventlog | sed -n 's/^census *//p')
awk -v b="$bytes" -v s="$s" -v c="$c" -v j="$j" -v g="$g" -v r="$rounds" -v census="$census" 'BEGIN {
	mb = b / 1e6
	printf "bench: census-heavy eventlog %.1f MB (census: %s), median of %d fresh processes each:\n", mb, census, r
	printf "bench:   leakbench eventlog         %.3f s  %5.0f MB/s (goal >= 1500)\n", s, mb / s
	printf "bench:   leakbench eventlog --census %.3f s  %.1fx the summary (goal <= 3x)\n", c, c / s
	printf "bench:   leakbench eventlog --json   %.3f s  %.1fx the summary (goal <= 3x)\n", j, j / s
	printf "bench:   ghc-events (readEventLogFromFile, count) %.3f s  %5.0f MB/s; leakbench is %.1fx faster (goal >= 10x)\n", g, mb / g, g / s
}'
