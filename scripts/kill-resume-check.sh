#!/usr/bin/env bash
# Crash-safety check of `flowrt train`: kill -9 a run at random moments, resume it each time, and
# check after every kill that the checkpoint loads, metrics.jsonl has no torn line and no temporary
# file is left; then finish the run and compare it with the same run made in one go: the metrics
# must hold each step once, and the two final checkpoints must be byte-identical.
# Usage: scripts/kill-resume-check.sh [WORKDIR] (needs python3 for the JSON checks)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
flowrt="$root/scripts/flowrt"
base=${1:-/tmp/flowrt-kill-check}
steps=${STEPS:-150}
rm -rf "$base"; mkdir -p "$base"
opts=(--levels 2 --steps 4 --width 32 --batch 32 --max-steps "$steps" --checkpoint-minutes 0.02 --eval-images 500 --samples 16)
RANDOM=${SEED:-7}
kills=0
for i in $(seq 1 "${SESSIONS:-10}"); do
  resume=(); [ -f "$base/run/checkpoint.safetensors" ] && resume=(--resume)
  "$flowrt" train --out "$base/run" "${opts[@]}" "${resume[@]}" > "$base/log.$i" 2>&1 &
  pid=$!
  sleep $((3 + RANDOM % 8))
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; kills=$((kills + 1)); fi
  wait "$pid" 2>/dev/null
  torn=$(python3 -c "
import json
bad = 0
for line in open('$base/run/metrics.jsonl'):
    try: json.loads(line)
    except ValueError: bad += 1
print(bad)")
  tmps=$(ls -a "$base/run" | grep -c '\.tmp$')
  ckpt=$("$flowrt" info --checkpoint "$base/run/checkpoint.safetensors" 2>&1 | grep -o "step [0-9]*" | head -1)
  echo "session $i: torn metrics lines $torn, temporary files $tmps, checkpoint ${ckpt:-UNREADABLE}"
done
echo "kill -9 during training: $kills"
"$flowrt" train --out "$base/run" "${opts[@]}" --resume > "$base/log.final" 2>&1 || echo "FAIL: the final resume exited $?"
"$flowrt" train --out "$base/straight" "${opts[@]}" > "$base/log.straight" 2>&1 || echo "FAIL: the straight run exited $?"
python3 - "$base/run/metrics.jsonl" "$steps" <<'PY'
import json, sys
records = [json.loads(l) for l in open(sys.argv[1])]
steps = [r["step"] for r in records if "train_bpd" in r]
ok = steps == list(range(1, int(sys.argv[2]) + 1))
print("metrics: %d training records, each step once and in order: %s" % (len(steps), ok))
if not ok: print("FAIL: steps in the log are", steps)
PY
if cmp -s "$base/run/checkpoint.safetensors" "$base/straight/checkpoint.safetensors"; then
  echo "final checkpoints byte-identical: yes"
else
  echo "FAIL: the killed-and-resumed run differs from the straight run"
fi
grep -h "test bpd" "$base/log.final" "$base/log.straight"
