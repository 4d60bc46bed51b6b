#!/usr/bin/env bash
# The test command: installs what is missing, builds with ASan + UBSan and warnings as errors,
# and runs the whole suite (unit, integration over real TLS, convergence, architecture).
#
#   scripts/test.sh                 everything
#   scripts/test.sh -L unit         extra arguments go to ctest (here: only unit tests)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh test
cmake --preset test
cmake --build --preset test --parallel "$(nproc)"
ctest --preset test "$@"
