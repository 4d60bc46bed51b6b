#!/usr/bin/env bash
# Makes a development CA and a server certificate for localhost, 127.0.0.1 and ::1.
#
#   certs/make-dev-certs.sh [OUTPUT_DIR]     (default: certs/dev)
#
# Writes ca.pem (trust this in clients), server.pem (leaf + CA chain) and server.key (private,
# mode 0600). Keys are P-256 (ECDSA). Nothing is overwritten: an existing, still-valid set is kept.
# For development and tests only: production certificates come from your own CA or ACME.
set -euo pipefail

out="${1:-$(cd "$(dirname "$0")" && pwd)/dev}"
mkdir -p "$out"
chmod 700 "$out"
cd "$out"

if [[ -s ca.pem && -s server.pem && -s server.key ]] &&
   openssl x509 -checkend 86400 -noout -in server.pem >/dev/null 2>&1; then
  echo "development certificates already in $out"
  exit 0
fi

umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/ca.key" 2>/dev/null
openssl req -x509 -new -key "$tmp/ca.key" -sha256 -days 825 -subj "/CN=Verdant Development CA" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$tmp/ca.pem"

openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/server.key" 2>/dev/null
openssl req -new -key "$tmp/server.key" -subj "/CN=localhost" -out "$tmp/server.csr"
cat > "$tmp/server.ext" <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EXT
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
  -CAcreateserial -days 397 -sha256 -extfile "$tmp/server.ext" -out "$tmp/leaf.pem" 2>/dev/null

cat "$tmp/leaf.pem" "$tmp/ca.pem" > "$tmp/server.pem"
openssl verify -CAfile "$tmp/ca.pem" "$tmp/leaf.pem" >/dev/null
install -m 0644 "$tmp/ca.pem" ca.pem
install -m 0644 "$tmp/server.pem" server.pem
install -m 0600 "$tmp/server.key" server.key
# The CA key is not kept: nothing more is ever signed with it, so it cannot leak.
echo "development certificates written to $out (trust $out/ca.pem)"
