#!/usr/bin/env bash
# Fails when a tracked C/C++ source is not clang-format clean.  Usage: scripts/check-format.sh [clang-format]
set -euo pipefail
cd "$(dirname "$0")/.."
tool="${1:-clang-format}"
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.cpp' '*.hpp' '*.h' '*.c' | grep -v '^tests/arch/violation-fixture/' || true)
[ "${#files[@]}" -gt 0 ] || { echo "no sources"; exit 0; }
"$tool" --dry-run --Werror "${files[@]}"
echo "clang-format: ${#files[@]} files clean"
