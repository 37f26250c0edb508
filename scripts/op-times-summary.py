#!/usr/bin/env python3
"""Summarizes `flowrt bench-one --op-times` output (its JSON line on stdin) as markdown tables:
the recorded steps' wall time, of it convolutions, custom kernels, memory operations (allocate,
copy, zero, upload, download) and the host work between ops; then the slowest ops.
Usage: scripts/flowrt bench-one ... --steps-per-pass S --op-times | scripts/op-times-summary.py [TOP=15]"""
import json
import sys

MEMORY_OPS = {"allocate", "copy", "zero", "upload", "download"}
top = int(sys.argv[1]) if len(sys.argv) > 1 else 15
result = json.loads(sys.stdin.read().strip().splitlines()[-1])
steps = result.get("op_times_steps") or 1
for key, label in (("train_op_times", "training"), ("sample_op_times", "one sample")):
    ops = result[key]
    per = steps if key == "train_op_times" else 1
    total = sum(o["millis"] for o in ops) / per
    conv = sum(o["millis"] for o in ops if o["op"].startswith("conv ")) / per
    memory = sum(o["millis"] for o in ops if o["op"] in MEMORY_OPS) / per
    wall = result.get(key + "_wall_millis", 0) / per or total
    unit = "ms per step" if key == "train_op_times" else "ms"
    share = lambda ms: f"{ms:.1f} ({100 * ms / wall:.0f} %)"
    print(f"\n{label}: {wall:.1f} {unit}; convolutions {share(conv)}, custom kernels {share(total - conv - memory)}, "
          f"memory operations {share(memory)}, host work between ops {share(wall - total)}\n")
    print(f"| op | calls | {unit} | share |")
    print("| --- | --- | --- | --- |")
    for o in ops[:top]:
        print(f"| {o['op']} | {o['calls'] // per if per > 1 else o['calls']} | {o['millis'] / per:.1f} | "
              f"{100 * o['millis'] / per / wall:.1f} % |")
