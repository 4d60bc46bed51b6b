#!/usr/bin/env bash
# Measures how much a hostile 16 MB JSON body raises a real verdant-server's peak memory.
#
#   scripts/measure-json-memory.sh [SERVER_BINARY]   (default: build/server/server/verdant-server)
#
# Build the server first with the Release preset (cmake --preset server && cmake --build --preset
# server --target verdant-server). The script runs the server on a free port with a scratch data
# directory and development certificates; for each body shape and route it starts a fresh server,
# signs in as the demo reviewer (with a device) and POSTs the body once. It prints the server's
# resident memory before the request (VmRSS), its peak during the request (VmHWM, reset first
# through /proc/<pid>/clear_refs), the difference, and the answer's status and error code.
# Needs bash, curl, python3 and openssl. Linux only (reads /proc).
set -euo pipefail
cd "$(dirname "$0")/.."
server="${1:-build/server/server/verdant-server}"
[ -x "$server" ] || { echo "no server binary at $server; build the server preset first" >&2; exit 2; }

work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

certs/make-dev-certs.sh "$work/certs" >/dev/null
"$server" admin seed-demo --data-dir="$work/data" >/dev/null
device=0190f5d2-7b3c-7a4e-9f00-1234567890ab
password=$(awk '$1=="reviewer"{print $3}' "$work/data/demo-logins.txt")
curl_() { curl -s --cacert "$work/certs/ca.pem" "$@"; }

# A fresh server per measurement, signed in once, so that memory freed by an earlier request
# cannot hide the cost of the next one.
start_server() {
  rm -f "$work/port"
  "$server" --data-dir="$work/data" --tls-cert="$work/certs/server.pem" \
    --tls-key="$work/certs/server.key" --port=0 --port-file="$work/port" 2>>"$work/server.log" &
  pid=$!
  for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
  base="https://localhost:$(cat "$work/port")"
  token=$(curl_ -H 'Content-Type: application/json' \
    -d "{\"tenant\":\"demo\",\"username\":\"reviewer\",\"password\":\"$password\",\"device_id\":\"$device\"}" \
    "$base/v1/auth/login" | python3 -c 'import json,sys;print(json.load(sys.stdin)["access_token"])')
}
stop_server() { kill "$pid" && wait "$pid" 2>/dev/null || true; pid=""; }

# Each shape: a name, a route, and a Python expression of a body of about 16 MB (the server's
# default body limit is 16 MiB).
python3 - "$work" "$device" <<'EOF'
import sys
work, device = sys.argv[1], sys.argv[2]
mb = 16 * 1000 * 1000
head = '{"device_id":"%s",' % device
shapes = {
    # 7M+ small numbers in an array under a key no route knows.
    "numbers": head + '"padding":[' + ",".join(["0"] * ((mb - 80) // 2)) + '],"changes":[]}',
    # Arrays nested 8M deep.
    "nested": head + '"changes":' + "[" * (mb // 2 - 40) + "]" * (mb // 2 - 40) + "}",
    # One change whose value is one 16 MB string.
    "string": head + '"changes":[{"collection":"suppliers","record":"0190f5d2-0000-7000-8000-000000000001",'
              '"field":"name_en","op":"set","value":{"string":"' + "a" * (mb - 400) + '"},'
              '"hlc":"018c1a2b3c4d-0000-0000000000000001","base":null,"device":"%s","seq":1,'
              '"author":"u"}]}' % device,
    # Strings just under the 1 MiB string limit, under a key no route knows.
    "strings": head + '"padding":[' + ",".join(['"' + "a" * 1000000 + '"'] * 15) + '],"changes":[]}',
    # Many small objects.
    "objects": head + '"changes":[' + ",".join(['{"a":1}'] * ((mb - 80) // 8)) + "]}",
}
for name, body in shapes.items():
    with open(f"{work}/{name}.json", "w") as out:
        out.write(body)
EOF

status_kb() { awk -v key="$1:" '$1==key{print $2}' "/proc/$pid/status"; }
printf '%-8s %-16s %8s %10s %10s %9s  %s\n' shape route body_MB rss_MB peak_MB delta_MB answer
for shape in numbers nested string strings objects; do
  for route in /v1/sync/push /v1/auth/login; do
    body="$work/$shape.json"
    start_server
    echo 5 >"/proc/$pid/clear_refs"  # resets VmHWM to the current RSS
    before=$(status_kb VmRSS)
    answer=$(curl_ -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      --data-binary @"$body" -w ' %{http_code}' "$base$route" |
      python3 -c 'import json,sys
text=sys.stdin.read(); body,_,status=text.rpartition(" ")
try: code=json.loads(body).get("error",{}).get("code","-")
except ValueError: code="(not JSON)"
print(status, code)')
    peak=$(status_kb VmHWM)
    stop_server
    awk -v s="$shape" -v r="$route" -v b="$(stat -c %s "$body")" -v before="$before" \
      -v peak="$peak" -v a="$answer" 'BEGIN{printf "%-8s %-16s %8.1f %10.1f %10.1f %9.1f  %s\n",
      s, r, b/1e6, before/1024, peak/1024, (peak-before)/1024, a}'
  done
done
