#!/usr/bin/env bash
# Where a keystroke's time goes: callgrind (instruction counts, repeatable on a busy machine)
# over the terminal app's search typing QUERY one character at a time (`fieldcheck dev type`)
# on a generated store, counting only inside the ranking (load and generation excluded).
# Usage: bench/profile-keystrokes.sh [LEADS] [QUERY]   (default: 100000 cqp)
set -euo pipefail
cd "$(dirname "$0")/.."
leads=${1:-100000}
query=${2:-cqp}
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
cargo build --release -q
bin=$PWD/target/release/fieldcheck
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" --store "$work/s.redb" init --inspector bench >/dev/null
"$bin" --store "$work/s.redb" dev generate --leads "$leads" --seed 1 >/dev/null
"$bin" --store "$work/s.redb" dev type "$query" --rounds 3
valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" --separate-threads=no \
  --toggle-collect='*Index*rank*' --toggle-collect='*rank_run*' \
  "$bin" --store "$work/s.redb" dev type "$query" >/dev/null 2>"$work/valgrind.log"
grep -o 'refs: .*' "$work/valgrind.log"
echo "--- inclusive (where the instructions of a keystroke go) ---"
callgrind_annotate --inclusive=yes "$work/cg.out" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | sed -n 1,40p |
  grep -E 'rank_run|score_segments|fuzzy_match|key_bound|candidates|Prefilter|passes|spelling|in_order|memchr|id_order|Ranker|from_iter|PROGRAM' |
  sed -E 's#/rustc/[0-9a-f]+/library/##; s#/root/.cargo/registry/src/[^/]+/##; s# \[[^]]*\]##' | cut -c1-150
