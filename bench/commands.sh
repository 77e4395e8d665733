#!/usr/bin/env bash
# Every command of issue #12's table on a store that looks like a year of work (`dev generate
# --devices`: the notice through the log, visits along the lifecycle from enrolled laptops in their
# signed bundles), timed (wall seconds, peak RSS) at each size given, so the growth shows.
# Usage: bench/commands.sh [LEADS...]   (default: 100000; visits are twice the leads)
#        KEEP=DIR bench/commands.sh ...  keeps the stores in DIR (and reuses them when there)
#        BIN=PATH bench/commands.sh ...   times that binary (else builds the release one)
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -n ${BIN:-} ]] || cargo build --release -q
bin=${BIN:-$PWD/target/release/fieldcheck}
work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
[[ -n ${KEEP:-} ]] || trap 'rm -rf "$work"' EXIT
export FIELDCHECK_PASSPHRASE=${FIELDCHECK_PASSPHRASE:-bench}

# Prints "| size | what | seconds | MB |" for one run of a command (its output thrown away).
row() {
  local size=$1 what=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$work/t" "$@" >/dev/null 2>"$work/err" || {
    echo "| $size | $what | failed: $(tail -c 200 "$work/err" | tr '\n' ' ') | |"
    return
  }
  local secs kb
  read -r secs kb < "$work/t"
  echo "| $size | $what | $secs | $((kb / 1024)) |"
}

echo "| leads | command | s | MB |"
echo "|---|---|---|---|"
sizes=("$@")
(( ${#sizes[@]} )) || sizes=(100000)
for leads in "${sizes[@]}"; do
  store="$work/$leads.redb"
  if [[ ! -e $store ]]; then
    row "$leads" "dev generate --visits $((2 * leads)) --devices 20" \
      "$bin" --store "$store" dev generate --leads "$leads" --visits $((2 * leads)) --devices 20
  fi
  s=("$bin" --store "$store" --today 2022-01-25)
  lead=$(set +o pipefail; "${s[@]}" leads --json | grep -o '"id": *"[^"]*"' | head -1 | cut -d'"' -f4)
  row "$leads" "leads" "${s[@]}" leads
  row "$leads" "leads --district 北碚区 --json" "${s[@]}" leads --district 北碚区 --json
  row "$leads" "lead show" "${s[@]}" lead show "$lead"
  row "$leads" "visit list" "${s[@]}" visit list
  row "$leads" "report (md)" "${s[@]}" report
  row "$leads" "report --format csv" "${s[@]}" report --format csv --out "$work/r.csv"
  row "$leads" "report --format xlsx --district 北碚区" "${s[@]}" report --format xlsx --district 北碚区 --out "$work/r.xlsx"
  row "$leads" "report --format xlsx (all)" "${s[@]}" report --format xlsx --out "$work/all.xlsx"
  row "$leads" "sync status" "${s[@]}" sync status
  row "$leads" "conflicts" "${s[@]}" conflicts
  row "$leads" "search 北碚 (whole process)" "${s[@]}" search 北碚 --limit 20
  row "$leads" "verify" "${s[@]}" verify
  rm -rf "$work/out" && mkdir "$work/out"
  row "$leads" "export --all --plain" "${s[@]}" export --all --plain --out "$work/out/all.fcb"
  hq="$work/hq-$leads.redb"
  rm -f "$hq" "$hq.key"
  "$bin" --store "$hq" init --inspector HQ2 --device hq2 >/dev/null
  key=$("${s[@]}" identity --json | grep -o '"public_key": *"[^"]*"' | cut -d'"' -f4)
  "$bin" --store "$hq" trust add "$key" --name HQ --hq >/dev/null
  row "$leads" "import of those parts into a fresh HQ" "$bin" --store "$hq" import --allow-plain "$work"/out/*.fcb
done
