#!/usr/bin/env bash
# The terminal app on a big store, in a real terminal (tmux): when the first frame, the ledger
# and search were ready, the peak resident memory, and the longest the app went without reading
# keys over a run of search (full pinyin, then Chinese), triage keys, the Visits tab and its
# search — all as the app logs them itself in fieldcheck.log.
# Usage: bench/tui-scale.sh STORE   (e.g. one made by `fieldcheck dev generate --leads 1000000
#        --visits 2000000`); BIN=PATH times that binary (else builds the release one).
#        IMPORT=1: then also imports the first bundle of the store's bundles folder from the Sync
#        tab (Tab completes it) and exports, keys pressed while the import runs.
set -euo pipefail
cd "$(dirname "$0")/.."
store=${1:?usage: bench/tui-scale.sh STORE}
command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux >/dev/null; }
[[ -n ${BIN:-} ]] || cargo build --release -q
bin=${BIN:-$PWD/target/release/fieldcheck}
home=$(mktemp -d)
trap 'tmux -L fcscale kill-server 2>/dev/null || true; rm -rf "$home"' EXIT
log=$home/.local/share/fieldcheck/fieldcheck.log
t() { tmux -L fcscale "$@"; }
t new -d -s fc -x 120 -y 40 \
  "env HOME=$home XDG_DATA_HOME= /usr/bin/time -f '%M' -o $home/rss $bin --store $store"
for _ in $(seq 1 300); do
  sleep 1
  grep -q "search ready" "$log" 2>/dev/null && break
done
keys() { for k in "$@"; do t send-keys -t fc -l "$k"; sleep 0.3; done; }
keys / c h o n g q i n g
sleep 2
t send-keys -t fc Escape; sleep 1
keys / 北 碚
sleep 2
t send-keys -t fc Enter; sleep 1
keys f f o o 3 /
keys 北 碚
sleep 5
t send-keys -t fc Escape; sleep 2
if [[ -n ${IMPORT:-} ]]; then
  keys 4 i
  sleep 1
  t send-keys -t fc Tab; sleep 0.5
  t send-keys -t fc Enter
  # Keys while it runs: tabs, moving, the help.
  for _ in 1 2 3; do keys 1 j j k 2 j 4 '?' '?'; sleep 1; done
  for _ in $(seq 1 600); do grep -q "work finished" "$log" && break; sleep 1; done
  t capture-pane -p -t fc | head -3 >&2
  keys e
  for _ in $(seq 1 120); do [[ $(grep -c "work finished" "$log") -ge 2 ]] && break; sleep 1; done
  grep "work finished" "$log" | sed 's/^[^ ]* *INFO fieldcheck::tui::effects: //' >&2
fi
keys 1 q
# Wait for the app to exit: killing the tmux server while it still quits would leave the store
# unclosed, and the next open (the next run's first frame) would wait for redb to repair it.
for _ in $(seq 1 600); do [[ -s $home/rss ]] && break; sleep 1; done
[[ -s $home/rss ]] || { echo "the app had not exited 600 s after q" >&2; exit 1; }
# Every wait over 50 ms, to standard error.
grep "keys waited" "$log" | sed 's/^[^ ]* *INFO fieldcheck::tui: //' >&2 || true
figure() { grep "fieldcheck::tui: $1" "$log" | grep -o 'ms=[0-9.]*' | cut -d= -f2 | tail -1; }
echo "| first frame ms | ledger shown ms | search ready ms | longest wait for keys ms | peak RSS MB |"
echo "|---|---|---|---|---|"
printf "| %.0f | %.0f | %.0f | %.0f (%s) | %d |\n" "$(figure 'first frame')" \
  "$(figure 'records loaded')" "$(figure 'search ready')" "$(figure 'longest time')" \
  "$(grep 'longest time' "$log" | sed 's/.*handled=//; s/ longest time.*//')" \
  $(( $(cat "$home/rss") / 1024 ))
