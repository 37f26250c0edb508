#!/usr/bin/env bash
# PyTorch for the side-by-side comparisons in scripts/peers (Debian's python3-torch, CPU build).
# Not a requirement of flowrt: only scripts/peers/compare-torch.sh uses it.
set -euo pipefail
if /usr/bin/python3 -c "import torch" 2>/dev/null; then exit 0; fi
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -q >/dev/null || true
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends python3-torch >/dev/null
