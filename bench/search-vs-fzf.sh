#!/usr/bin/env bash
# Whole-process search: `fieldcheck search QUERY --limit 20` against `fzf --filter QUERY` on the
# same generated rows, side by side in one run (median of 3 wall times, peak RSS).
# Usage: bench/search-vs-fzf.sh [LEADS...]   (default: 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v fzf >/dev/null || { apt-get update -qq && apt-get install -y -qq fzf >/dev/null; }
cargo build --release -q
bin=target/release/fieldcheck
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints "median_seconds peak_kb" for a command run 3 times with standard input from $1
# (fzf finding nothing exits 1: not a failure here).
measure() {
  local input=$1; shift
  local times=() kb=0
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$work/t" "$@" < "$input" >/dev/null || true
    read -r s k < "$work/t"
    times+=("$s")
    if (( k > kb )); then kb=$k; fi
  done
  printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)" "$kb"
}

echo "| leads | query | fieldcheck s | fzf s | ratio | fieldcheck MB | fzf MB |"
echo "|---|---|---|---|---|---|---|"
sizes=("$@")
(( ${#sizes[@]} )) || sizes=(100000 1000000)
for leads in "${sizes[@]}"; do
  {
    store="$work/$leads.redb"
    "$bin" --store "$store" dev generate --leads "$leads" --seed 1 --export-lines "$work/$leads.txt" >/dev/null
    for q in 朋昆 北碚区 68860 cqpk beibei; do
      read -r fs fk < <(measure /dev/null "$bin" --store "$store" search "$q" --limit 20)
      if [[ $q =~ ^[a-z]+$ ]]; then
        echo "| $leads | $q | $fs | — | — | $((fk / 1024)) | — |"
      else
        read -r zs zk < <(measure "$work/$leads.txt" fzf --filter "$q")
        ratio=$(awk -v a="$fs" -v b="$zs" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "—" }')
        echo "| $leads | $q | $fs | $zs | $ratio | $((fk / 1024)) | $((zk / 1024)) |"
      fi
    done
  }
done
