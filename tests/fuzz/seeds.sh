#!/bin/sh
# seeds.sh LEAKBENCH FIXTURES OUT - the fuzzers' seed corpora, one folder per parser, made
# by running what the tests run: GHC fixtures writing eventlogs, a real LSP session of the
# fixture server (recorded by `leakbench record`, and its raw output), `leakbench init`'s
# config, the tests' RTS statistics files and the shipped scenarios.
set -e
lb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); fix=$2; out=$3
rm -rf "$out"; mkdir -p "$out/eventlog" "$out/rts" "$out/scenario" "$out/replay" "$out/config" "$out/lsp"
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/leakbench-seeds-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# eventlogs: GCs, heap censuses, markers and messages, from a real RTS
"$fix/evgen" 400 +RTS -l -hT -i0.002 -A64k "-ol$out/eventlog/evgen.eventlog" -RTS > /dev/null
"$fix/evgen" 1200 +RTS -l -A256k "-ol$out/eventlog/evgen-gc.eventlog" -RTS > /dev/null

cp "$root"/tests/data/*.txt "$out/rts/"
cp "$root"/scenarios/*.scn "$root"/demo/*.scn "$out/scenario/"
(cd "$tmp" && "$lb" init > /dev/null) && cp "$tmp/leakbench.ini" "$out/config/init.ini"

# an editor's side of a session, framed; the fixture server answers it
frame() { printf 'Content-Length: %d\r\n\r\n%s' "$(printf %s "$1" | wc -c)" "$1"; }
mkdir "$tmp/cb" && printf 'module A where\nx = 1\n' > "$tmp/cb/A.hs"
uri="file://$tmp/cb"
{
	frame '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"rootUri":"'"$uri"'","capabilities":{}}}'
	frame '{"jsonrpc":"2.0","method":"initialized","params":{}}'
	frame '{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"'"$uri"'/A.hs","languageId":"haskell","version":1,"text":"module A where\nx = 1\n"}}}'
	sleep 0.5
	frame '{"jsonrpc":"2.0","id":2,"method":"textDocument/hover","params":{"textDocument":{"uri":"'"$uri"'/A.hs"},"position":{"line":1,"character":0}}}'
	sleep 0.5
	frame '{"jsonrpc":"2.0","id":3,"method":"shutdown"}'
	frame '{"jsonrpc":"2.0","method":"exit"}'
} > "$tmp/client.bin"
"$lb" record --out "$out/replay/session.jsonl" -- "$fix/lspfix" --test < "$tmp/client.bin" > "$tmp/server.bin" 2> /dev/null || true
# the framing fuzzer takes a first byte for the piece size
{ printf 'A'; cat "$tmp/server.bin"; } > "$out/lsp/server.bin"
{ printf '\001'; cat "$tmp/client.bin"; } > "$out/lsp/client.bin"
for d in "$out"/*; do
	[ -n "$(ls "$d")" ] || { echo "seeds.sh: no seed for $(basename "$d")" >&2; exit 1; }
done
