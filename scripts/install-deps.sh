#!/usr/bin/env bash
# Installs the Debian packages retain needs, if any is missing: OpenBLAS (BLAS, cblas.h) and
# LAPACKE (lapacke.h). Runs apt-get update once, only when something must be installed.
set -euo pipefail
need=()
for p in libopenblas-dev liblapacke-dev zlib1g-dev libsqlite3-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO=sudo
  echo "installing: ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "swift is not on PATH: install a Swift toolchain (6.x) first" >&2; exit 1; }
