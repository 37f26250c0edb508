#!/usr/bin/env bash
# Installs Open MPI from Debian's packages (openmpi-bin: mpirun; libopenmpi-dev: the headers flowrt's
# MPI binding is built against). Run before `mvn` so that the build includes the binding (Maven
# profile "mpi") and the multi-process tests run. Does nothing where mpirun and the headers exist.
set -euo pipefail
if command -v mpirun >/dev/null && [ -f /usr/lib/x86_64-linux-gnu/openmpi/include/mpi.h ]; then exit 0; fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "[flowrt] installing Open MPI (apt-get install openmpi-bin libopenmpi-dev)..."
$sudo apt-get update -q >/dev/null || true
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends openmpi-bin libopenmpi-dev >/dev/null
mpirun --version | head -1
