#!/usr/bin/env bash
# Installs, from Debian 12's packages, whatever Verdant needs that this machine lacks.
#
#   scripts/install-deps.sh [build|test]     (default: test = build + test tools)
#
# Runs apt-get only when something is missing, so it is quick on a machine that has everything.
# Needs root (or sudo) only in that case.
set -euo pipefail

profile="${1:-test}"
build_packages=(
  build-essential cmake git pkg-config ccache openssl ca-certificates curl
  libpoco-dev libsqlite3-dev sqlite3 libssl-dev libcereal-dev libargon2-dev
  nlohmann-json3-dev libqrencode-dev libvips-dev
)
test_packages=(
  libgtest-dev libgmock-dev googletest librapidcheck-dev libbenchmark-dev clang-format
)
packages=("${build_packages[@]}")
[ "$profile" = test ] && packages+=("${test_packages[@]}")
# Node.js and npm run an unmodified tus-js-client in the tests; a machine that already has them
# (from Debian or elsewhere) keeps its own.
if [ "$profile" = test ] && ! { command -v node && command -v npm; } >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
