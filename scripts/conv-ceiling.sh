#!/usr/bin/env bash
# The ceiling a configuration's convolutions set on its CPU speed (scripts/conv-ceiling.py): its
# training step and sample as measured (bench-one --op-times: every op's calls and time in the
# application), then with nothing but their convolutions, as fast as they ran in the application and
# each pass at the speed of its best plan run alone (scripts/bench-conv-plans.sh on each of the
# configuration's shapes), beside PyTorch's figures (scripts/peers/glow_torch.py) from runs alternated
# with flowrt's (docs/benchmarks.md, "Eighth round").
# Usage: scripts/conv-ceiling.sh [ROUNDS=3] [bench-one model options; default config A]
#   NO_TORCH=1 leaves PyTorch out; PLAN_ROUNDS (default 3) rounds of bench-conv-plans after each run;
#   RAW=DIR keeps the runs' JSON lines and the plans' tables there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3}
shift || true
model=("$@")
[ ${#model[@]} -gt 0 ] || model=(--channels 1 --image-size 32 --levels 3 --steps 8 --width 128 --permutation invconv-lu --batch 64)
protocol=(--steps-per-pass 5 --passes 3 --lr 1e-4)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
[ -n "${NO_TORCH:-}" ] || "$root/scripts/peers/install-torch.sh"
if [ -n "${RAW:-}" ]; then
  work=$RAW
  mkdir -p "$work"
  rm -f "$work/flowrt.jsonl" "$work/torch.jsonl" "$work/plans.md"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
shapes=()
for round in $(seq "$rounds"); do
  "$root/scripts/flowrt" bench-one "${model[@]}" "${protocol[@]}" --op-times 2>/dev/null | tail -1 >> "$work/flowrt.jsonl"
  [ -n "${NO_TORCH:-}" ] || /usr/bin/python3 "$root/scripts/peers/glow_torch.py" "${model[@]}" "${protocol[@]}" --threads "$OMP_NUM_THREADS" \
    | tail -1 >> "$work/torch.jsonl"
  [ "$round" != 1 ] || mapfile -t shapes < <(python3 "$root/scripts/conv-ceiling.py" shapes "$work/flowrt.jsonl")
  # The plans between the runs, so the machine's drift falls on both alike.
  "$root/scripts/bench-conv-plans.sh" "${PLAN_ROUNDS:-3}" "${shapes[@]}" 2>/dev/null | grep '^| [0-9]' >> "$work/plans.md"
done
echo "flowrt bench-one ${model[*]} ${protocol[*]} --op-times, $rounds runs, each followed by" \
  "$([ -n "${NO_TORCH:-}" ] || echo "glow_torch.py with the same options and by") bench-conv-plans.sh ${PLAN_ROUNDS:-3} ${shapes[*]}"
echo
python3 "$root/scripts/conv-ceiling.py" "$work/flowrt.jsonl" "$work/plans.md" $([ -n "${NO_TORCH:-}" ] || echo "$work/torch.jsonl")
