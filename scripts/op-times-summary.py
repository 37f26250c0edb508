#!/usr/bin/env python3
"""Summarizes `flowrt bench-one --op-times` output (its JSON line on stdin) as markdown tables:
convolutions against custom kernels per training step, then the slowest ops.
Usage: scripts/flowrt bench-one ... --steps-per-pass S --op-times | scripts/op-times-summary.py [TOP=15]"""
import json
import sys

top = int(sys.argv[1]) if len(sys.argv) > 1 else 15
result = json.loads(sys.stdin.read().strip().splitlines()[-1])
steps = result.get("op_times_steps") or 1
for key, label in (("train_op_times", "training"), ("sample_op_times", "one sample")):
    ops = result[key]
    per = steps if key == "train_op_times" else 1
    total = sum(o["millis"] for o in ops) / per
    conv = sum(o["millis"] for o in ops if o["op"].startswith("conv ")) / per
    unit = "ms per step" if key == "train_op_times" else "ms"
    print(f"\n{label}: {total:.1f} {unit}; convolutions {conv:.1f} ({100 * conv / total:.0f} %), "
          f"custom kernels {total - conv:.1f} ({100 * (total - conv) / total:.0f} %)\n")
    print(f"| op | calls | {unit} | share |")
    print("| --- | --- | --- | --- |")
    for o in ops[:top]:
        print(f"| {o['op']} | {o['calls'] // per if per > 1 else o['calls']} | {o['millis'] / per:.1f} | "
              f"{100 * o['millis'] / per / total:.1f} % |")
