#!/usr/bin/env bash
# `make fuzz`: run every cargo-fuzz target for a bounded time, one after the
# other, and fail if any of them found a crash (or a hang, or ran out of
# memory). Not part of `make test`.
#
#   FUZZ_SECONDS=60     how long each target runs (default 60)
#   FUZZ_TARGETS="..."  which targets (default: all four)
#   FUZZ_ARGS="..."     more libFuzzer options, e.g. "-seed=1 -jobs=2"
#
# Each target's working corpus is fuzz/corpus/<target>/ (git-ignored): it
# starts from the committed seeds in fuzz/seeds/<target>/ plus the
# project's fixtures, and keeps what earlier runs found. Crashes are written
# to fuzz/artifacts/<target>/, logs to fuzz/logs/<target>.log.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
fuzz=fuzz
seconds="${FUZZ_SECONDS:-60}"
targets="${FUZZ_TARGETS:-delivery config rules agent_api}"
extra="${FUZZ_ARGS:-}"

max_len() {
  case "$1" in
    delivery) echo 65536 ;;  # past KEPT_BYTES (16 KiB), so raw text gets cut
    config) echo 16384 ;;
    rules) echo 8192 ;;
    agent_api) echo 16384 ;;  # a 2000-character reply of 4-byte characters, and more
    *) echo 4096 ;;
  esac
}

if ! cargo +nightly --version > /dev/null 2>&1; then
  echo "make fuzz needs the nightly toolchain: rustup toolchain install nightly" >&2
  exit 1
fi
if ! cargo +nightly fuzz --version > /dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

# Seeds: the committed ones, then the project's fixtures.
seed() {
  local t="$1" dir="$fuzz/corpus/$1"
  mkdir -p "$dir"
  cp -f "$fuzz/seeds/$t/"* "$dir/" 2> /dev/null || true
  case "$t" in
    delivery)
      for f in tests/fixtures/messenger/*.json; do cp -f "$f" "$dir/fixture-$(basename "$f")"; done
      ;;
    config)
      cp -f examples/switchboard.yaml "$dir/example-switchboard.yaml"
      ;;
    rules)
      # The example's rulesets and their conditions as JSON (the committed
      # seeds hold the same, converted once, for machines without PyYAML).
      if python3 -c 'import yaml' 2> /dev/null; then
        python3 - "$dir" << 'EOF'
import json, sys, yaml
out = sys.argv[1]
doc = yaml.safe_load(open("examples/switchboard.yaml")) or {}
rulesets = doc.get("rulesets") or []
json.dump(rulesets, open(f"{out}/fixture-rulesets.json", "w"))
for rs in rulesets:
    json.dump(rs, open(f"{out}/fixture-ruleset-{rs['id']}.json", "w"))
    for i, rule in enumerate(rs.get("rules") or []):
        json.dump(rule["when"], open(f"{out}/fixture-when-{rs['id']}-{i}.json", "w"))
EOF
      fi
      ;;
  esac
}

echo "building the fuzz targets (nightly, AddressSanitizer, debug assertions)"
cargo +nightly fuzz build --fuzz-dir "$fuzz" --debug-assertions

mkdir -p "$fuzz/logs"
failed=()
summary=()
for t in $targets; do
  seed "$t"
  log="$fuzz/logs/$t.log"
  echo "== fuzz $t: ${seconds}s, -max_len=$(max_len "$t")  (log: $log)"
  status=0
  # shellcheck disable=SC2086 # FUZZ_ARGS is a list of options
  cargo +nightly fuzz run --fuzz-dir "$fuzz" --debug-assertions "$t" "$fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=30 \
    -print_final_stats=1 $extra > "$log" 2>&1 || status=$?
  execs="$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | tail -1 | grep -o '[0-9]*$' || true)"
  rate="$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | tail -1 | grep -o '[0-9]*$' || true)"
  done_line="$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 || true)"
  corpus="$(find "$fuzz/corpus/$t" -type f | wc -l)"
  line="$t: ${done_line:-stopped early}; executions ${execs:-?} (${rate:-?}/s); corpus $corpus files"
  if [ "$status" -ne 0 ]; then
    failed+=("$t")
    line="$line; FAILED (exit $status)"
    grep -E 'panicked at|ERROR: libFuzzer|ERROR: AddressSanitizer|SUMMARY|Test unit written to|==[0-9]+== ERROR' "$log" | head -20 >&2 || true
  fi
  echo "$line"
  summary+=("$line")
done

echo
echo "make fuzz summary (${seconds}s per target):"
printf '  %s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "make fuzz: crashes in: ${failed[*]} (inputs in $fuzz/artifacts/<target>/; reproduce with" >&2
  echo "  cargo +nightly fuzz run --fuzz-dir $fuzz --debug-assertions <target> <artifact>)" >&2
  exit 1
fi
echo "make fuzz: no crashes"
