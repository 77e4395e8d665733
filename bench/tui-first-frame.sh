#!/usr/bin/env bash
# Terminal app start: process start to the first finished frame, as the app logs it itself
# ("first frame drawn ms=..." in fieldcheck.log), on generated stores. Runs the release binary
# in a real terminal (tmux), 5 starts per size, prints the median and the slowest, and the
# medians of when every lead was shown ("records loaded") and when search was ready.
# Usage: bench/tui-first-frame.sh [LEADS...]   (default: 77 seed channels only, then 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux >/dev/null; }
cargo build --release -q
bin=$PWD/target/release/fieldcheck
work=$(mktemp -d)
trap 'tmux -L fcbench kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

echo "| leads | first frame p50 ms | slowest of 5 ms | all leads shown p50 ms | search ready p50 ms |"
echo "|---|---|---|---|---|"
sizes=("$@")
(( ${#sizes[@]} )) || sizes=(0 100000)
for leads in "${sizes[@]}"; do
  store="$work/$leads.redb"
  "$bin" --store "$store" init --inspector bench >/dev/null
  if (( leads > 0 )); then
    "$bin" --store "$store" dev generate --leads "$leads" --seed 1 >/dev/null
  fi
  home="$work/home-$leads"
  mkdir -p "$home"
  for _ in 1 2 3 4 5; do
    tmux -L fcbench new -d -s fc -x 120 -y 40 \
      "env HOME=$home XDG_DATA_HOME= $bin --store $store"
    sleep 3
    tmux -L fcbench send-keys -t fc q
    sleep 1
    tmux -L fcbench kill-server 2>/dev/null || true
  done
  log=$(find "$home" -name fieldcheck.log)
  # The median of the figures logged on lines containing $1.
  p50() { grep "$1" "$log" | grep -o 'ms=[0-9.]*' | cut -d= -f2 | sort -n |
    awk '{ v[NR] = $1 } END { printf "%.1f", v[int((NR + 1) / 2)] }'; }
  worst=$(grep "first frame" "$log" | grep -o 'ms=[0-9.]*' | cut -d= -f2 | sort -n | tail -1)
  printf "| %s | %s | %.1f | %s | %s |\n" "$leads" "$(p50 'first frame')" "$worst" \
    "$(p50 'records loaded')" "$(p50 'search ready')"
done
