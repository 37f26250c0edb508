#!/usr/bin/env python3
"""The ceiling a configuration's convolutions put on its speed. Prints its training step and sample
as measured, split into convolutions, actnorm kernels and the rest; then what they would be with
nothing but:
- the convolutions, as fast as they ran in the application (everything else taken as free);
- the convolutions and the actnorm kernels (already at about the machine's bandwidth; only fused
  into the convolutions could they cost less);
- the convolutions, each pass as fast as the best of flowrt's CPU plans runs it ALONE
  (scripts/bench-conv-plans.sh: oneDNN direct or a taps recast, cache-warm, the same buffers every
  call);
each beside PyTorch's figures when given. Reads bench-one --op-times JSON lines (calls per op,
their times in the application), bench-conv-plans' table rows (several rounds: each plan's median
is taken), and glow_torch.py JSON lines. Run by scripts/conv-ceiling.sh, which also prints what the
inputs were.

Usage: conv-ceiling.py FLOWRT_JSONL PLANS_TABLE [TORCH_JSONL]
       conv-ceiling.py shapes FLOWRT_JSONL   (the first run's convolution shapes, one
       N,IN,OUT,SIDE,K a line, as bench-conv-plans.sh takes them)"""
import json
import re
import statistics
import sys

OP = re.compile(r"conv (\d+)x\d+ (\d+)→(\d+) at (\d+)x\d+ (forward|backward data|backward filter)$")
ROW = re.compile(r"\| (\d+)×\d+ (\d+) → (\d+) at (\d+)×\d+, batch (\d+) \| ([a-z ]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|")
PASSES = ("forward", "backward data", "backward filter")
ACTNORM = "actnorm_"  # the actnorm kernels: already at about the machine's bandwidth, and only fused into the convolutions could they cost less


def lines(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip().startswith("{")]


def shape_of(op):
    """(K, IN, OUT, SIDE) and the pass of a convolution op's name, or None for a kernel."""
    m = OP.match(op)
    return ((int(m[1]), int(m[2]), int(m[3]), int(m[4])), m[5]) if m else None


def best_plans(path):
    """(K, IN, OUT, SIDE) → {pass: (ms, plan)}: each plan's median over the table's rounds, then the
    fastest plan of each pass."""
    seen = {}
    with open(path) as f:
        for line in f:
            m = ROW.match(line.strip())
            if not m:
                continue
            key = (int(m[1]), int(m[2]), int(m[3]), int(m[4]))
            for p, ms in zip(PASSES, (float(m[7]), float(m[8]), float(m[9]))):
                seen.setdefault((key, p, m[6]), []).append(ms)
    best = {}
    for (key, p, plan), ms in seen.items():
        ms = statistics.median(ms)
        if p not in best.setdefault(key, {}) or ms < best[key][p][0]:
            best[key][p] = (ms, plan)
    return best


def projection(run, key, per, best):
    """Measured wall ms, convolution ms, actnorm kernels' ms, and the convolutions at their best plans
    alone (ms)."""
    wall = run[key + "_wall_millis"] / per
    conv = actnorm = ideal = 0.0
    for o in run[key]:
        found = shape_of(o["op"])
        if not found:
            if o["op"].startswith(ACTNORM):
                actnorm += o["millis"] / per
            continue
        shape, p = found
        conv += o["millis"] / per
        ideal += o["calls"] / per * best[shape][p][0]
    return wall, conv, actnorm, ideal


def shapes(run):
    """Every convolution shape the run timed, training's first, as bench-conv-plans' N,IN,OUT,SIDE,K."""
    seen = []
    for o in run["train_op_times"] + run["sample_op_times"]:
        found = shape_of(o["op"])
        if found:
            k, cin, cout, side = found[0]
            if (s := f"{run['batch']},{cin},{cout},{side},{k}") not in seen:
                seen.append(s)
    return seen


def main():
    if sys.argv[1] == "shapes":
        print("\n".join(shapes(lines(sys.argv[2])[0])))
        return
    runs = lines(sys.argv[1])
    best = best_plans(sys.argv[2])
    torch = lines(sys.argv[3]) if len(sys.argv) > 3 else []
    batch = runs[0]["batch"]
    measured_rows, ceiling_rows = [], []
    for key, label, measured in (("train_op_times", "training step", "train_images_per_s"),
                                 ("sample_op_times", "sample", "sample_images_per_s")):
        per = runs[0]["op_times_steps"] if key == "train_op_times" else 1
        wall, conv, actnorm, ideal = (statistics.median(v) for v in zip(*(projection(r, key, per, best) for r in runs)))
        timed = statistics.median(r[measured] for r in runs)
        theirs = statistics.median(t[measured] for t in torch) if torch else None
        ratio = lambda v: f"{v / theirs:.2f}×" if theirs else "–"
        rate = lambda ms: f"{batch / (ms / 1000):.1f} ({ratio(batch / (ms / 1000))})"
        measured_rows.append(f"| {label} | {timed:.1f} | {'–' if theirs is None else f'{theirs:.1f}'} | {ratio(timed)} | "
                             f"{wall:.1f} | {conv:.1f} | {actnorm:.1f} | {wall - conv - actnorm:.1f} |")
        ceiling_rows.append(f"| {label} | {rate(conv)} | {rate(conv + actnorm)} | {rate(ideal)} |")
    print("| | flowrt img/s (timed passes) | PyTorch img/s | ratio | op-timed ms | of it convolutions | actnorm kernels "
          "| the rest |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(measured_rows))
    print()
    print("| nothing but (img/s, ratio to PyTorch) | the convolutions, as timed | the convolutions and the actnorm "
          "kernels, as timed | the convolutions, each pass at its best plan alone |")
    print("| --- | --- | --- | --- |")
    print("\n".join(ceiling_rows))
    print()
    print("| convolution | pass | calls a step | in the application, ms a call | best plan alone | ms a call |")
    print("| --- | --- | --- | --- | --- | --- |")
    per = runs[0]["op_times_steps"]
    app = {}
    for r in runs:
        for o in r["train_op_times"]:
            if shape_of(o["op"]):
                app.setdefault(o["op"], []).append((o["calls"], o["millis"]))
    for op, seen in sorted(app.items(), key=lambda kv: -statistics.median(ms for _, ms in kv[1])):
        shape, p = shape_of(op)
        calls = seen[0][0]
        ms, plan = best[shape][p]
        print(f"| {op[5:-len(p) - 1]} | {p} | {calls // per} | {statistics.median(m / c for c, m in seen):.3f} | "
              f"{plan} | {ms:.3f} |")


if __name__ == "__main__":
    main()
