#!/usr/bin/env bash
# The run command: installs what is missing, builds the server (Release), makes development TLS
# certificates if there are none, and runs verdant-server on https://localhost:8443 with its
# embedded SQLite store in ./data. Stop it with Ctrl-C (or SIGTERM).
#
#   scripts/run-server.sh                       defaults
#   scripts/run-server.sh --port=9443           extra flags go to verdant-server (see --help)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh build
cmake --preset server >/dev/null
cmake --build --preset server --parallel "$(nproc)" --target verdant-server verdant
certs/make-dev-certs.sh certs/dev
build/server/server/verdant-server admin seed-demo --data-dir=data

echo
echo "Verdant: https://localhost:8443  (trust certs/dev/ca.pem)"
echo "  curl --cacert certs/dev/ca.pem https://localhost:8443/v1/health"
echo "  build/server/client-sdk/verdant health --cacert=certs/dev/ca.pem"
echo
exec build/server/server/verdant-server \
  --data-dir=data \
  --tls-cert=certs/dev/server.pem \
  --tls-key=certs/dev/server.key \
  "$@"
