#!/usr/bin/env bash
# Per-kernel time and achieved DRAM bandwidth of flowrt's own kernels on a GPU, against the card's
# measured copy bandwidth. Runs `flowrt bench-one` (one warm-up step, one timed step, one sample)
# under Nsight Compute (ncu), profiling only the kernels of cuda/ (cuDNN's are left out: its
# algorithm search launches hundreds), with the clocks left alone (--clock-control none), and
# reads each launch's gpu__time_duration and DRAM bytes read + written. The copy bandwidth is a
# 1 GiB device-to-device copy through PyTorch, counting bytes read and written.
# Also runs bench-one --op-times (every op synchronized and wall-timed, convolutions included) so
# the custom kernels' share of a step can be set beside cuDNN's.
# Writes OUTDIR/ncu.csv, OUTDIR/op-times.json; prints a markdown table.
# Usage: scripts/gpu-kernel-profile.sh OUTDIR [bench-one model options]   (DIST: scripts/gpu-dist.sh)
#        LAUNCHES=N profiles only the first N of flowrt's launches (ncu --launch-count; the warm-up
#        step comes first, with the same kernels on the same shapes plus actnorm's data-dependent
#        init): ncu takes seconds per hundred launches, and a large model's step has thousands.
set -uo pipefail
out=${1:?usage: gpu-kernel-profile.sh OUTDIR [bench-one options]}; shift
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"; out=$(cd "$out" && pwd)
. "$root/scripts/gpu-dist.sh"
python3 - > "$out/copy.txt" <<'PY'
import torch
x = torch.empty(1 << 30, dtype=torch.uint8, device="cuda"); y = torch.empty_like(x)
for _ in range(3): y.copy_(x)
s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
s.record()
for _ in range(20): y.copy_(x)
e.record(); torch.cuda.synchronize()
print(2 * 20 * x.numel() / (s.elapsed_time(e) / 1e3) / 1e9)
PY
echo "device-to-device copy: $(cat "$out/copy.txt") GB/s (read + write)"
"$flowrt" bench-one --backend cuda "$@" --warmup-steps 2 --passes 1 --steps-per-pass 5 --op-times --out "$out/op-times.json" > /dev/null 2> "$out/op-times.err" ||
  { echo "op-times run failed:"; tail -5 "$out/op-times.err"; }
timeout 400 ncu --clock-control none --target-processes all ${LAUNCHES:+--launch-count "$LAUNCHES"} --kernel-name-base function --kernel-name "regex:^($flowrt_kernels)\$" \
  --metrics gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum --csv --print-units base \
  "$flowrt" bench-one --backend cuda "$@" --warmup-steps 1 --passes 1 --steps-per-pass 1 > "$out/ncu.csv" 2> "$out/ncu.err" ||
  { echo "ncu failed:"; tail -5 "$out/ncu.err"; }
python3 - "$out/ncu.csv" "$(cat "$out/copy.txt")" <<'PY'
import collections, csv, sys
copy = float(sys.argv[2])
rows = [r for r in csv.reader(l for l in open(sys.argv[1]) if l.startswith('"'))]
head = rows[0]
col = {k: head.index(k) for k in ("ID", "Kernel Name", "Metric Name", "Metric Value")}
per_launch = collections.defaultdict(dict)
for r in rows[1:]:
    if not r[col["ID"]].isdigit(): continue
    per_launch[int(r[col["ID"]]), r[col["Kernel Name"]]][r[col["Metric Name"]]] = float(r[col["Metric Value"]].replace(",", ""))
k = collections.defaultdict(lambda: [0, 0.0, 0.0])
for (_, name), m in per_launch.items():
    s = k[name]; s[0] += 1; s[1] += m["gpu__time_duration.sum"] * 1e-9; s[2] += m["dram__bytes_read.sum"] + m["dram__bytes_write.sum"]
total = sum(s[1] for s in k.values())
print(f"{len(per_launch)} launches of {len(k)} kernels, {total * 1e3:.2f} ms in all; copy bandwidth {copy:.0f} GB/s")
print("| kernel | launches | total ms | mean µs | DRAM GB/s | of copy bandwidth |\n| --- | --- | --- | --- | --- | --- |")
for name, (n, t, b) in sorted(k.items(), key=lambda e: -e[1][1]):
    print(f"| {name} | {n} | {t * 1e3:.3f} | {t / n * 1e6:.1f} | {b / t / 1e9:.0f} | {b / t / 1e9 / copy:.0%} |")
PY
