#!/usr/bin/env bash
# Installs Fashion-MNIST from Debian's package dataset-fashion-mnist into /usr/share/datasets/fashion-mnist.
set -euo pipefail
if [ -d /usr/share/datasets/fashion-mnist ]; then exit 0; fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "[flowrt] installing Fashion-MNIST (apt-get install dataset-fashion-mnist)..."
$sudo apt-get update -q >/dev/null || true
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q dataset-fashion-mnist >/dev/null
test -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
