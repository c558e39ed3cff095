#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian 12 machine (as root):
# the apt packages when missing, then the npm dev dependencies. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(cmake ninja-build g++ clang libclang-rt-14-dev emscripten
  libxnnpack-dev libpthreadpool-dev catch2 nlohmann-json3-dev zlib1g-dev chromium)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "==> apt: all packages present"
fi

if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm: installing dev dependencies"
  # --ignore-scripts: the package's own prepare (build dist/ for git installs) is for users;
  # here the build scripts run when they are needed.
  npm install --no-audit --no-fund --loglevel=error --ignore-scripts
else
  echo "==> npm: dependencies present"
fi
