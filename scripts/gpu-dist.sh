# Sourced by the GPU scripts (gpu-check.sh, gpu-kernel-profile.sh, peers/compare-torch-gpu.sh), with
# `root` set to the project folder. Unpacks the JDK-free distribution (DIST, default
# target/flowrt-dist.tar.xz) into a temporary folder removed on exit and sets `dist` (that folder)
# and `flowrt` (its command line); puts NVIDIA's CUDA 13 / cuDNN 9 pip-wheel libraries
# (site-packages/nvidia/*/lib), where python3 finds any, on LD_LIBRARY_PATH; and sets
# `flowrt_kernels`, the names of cuda/'s kernels as one regex alternation, for the kernel filters of
# ncu and compute-sanitizer.
gpu_dist_work=$(mktemp -d)
trap 'rm -rf "$gpu_dist_work"' EXIT
gpu_dist_tarball=${DIST:-$root/target/flowrt-dist.tar.xz}
tar -C "$gpu_dist_work" -xJf "$gpu_dist_tarball" || { echo "cannot unpack $gpu_dist_tarball"; exit 2; }
dist="$gpu_dist_work/flowrt"
flowrt="$dist/bin/flowrt"
gpu_dist_libs=$(python3 -c 'import site,glob;print(":".join(sorted({p for s in site.getsitepackages() for p in glob.glob(s+"/nvidia/*/lib")})))' 2>/dev/null || true)
export LD_LIBRARY_PATH="${gpu_dist_libs:+$gpu_dist_libs:}${LD_LIBRARY_PATH:-}"
flowrt_kernels=$(grep -ho '__global__ void [a-z_0-9]*' "$root"/cuda/*.cu | awk '{print $3}' | sort -u | paste -sd'|')
