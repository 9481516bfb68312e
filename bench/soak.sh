#!/usr/bin/env bash
# Soak: SECONDS (default 600) of mixed reads and writes at 32 connections
# against the release server, reporting total requests, errors (target 0) and
# the server's RSS after warm-up and at the end (target: end within 20% of
# start). Not part of CI. Loopback only; stops by itself.
#
#   bench/soak.sh                 SQLite, 600 s
#   bench/soak.sh postgres 600    PostgreSQL on 127.0.0.1:5432 (a fresh database)
#
# Needs wrk (apt-get install wrk) and curl. Results go to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:-sqlite}"
duration="${2:-600}"
warmup=10
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk"; exit 1; }

cargo build -q --release --bin rihla
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
export APP_BIND="127.0.0.1:$port" APP_DATA_DIR="$work/data" APP_LOG_FORMAT=json RUST_LOG=warn \
  APP_ADMIN_EMAIL=admin@rihla.bench APP_ADMIN_PASSWORD=soak-admin-password \
  APP_JWT_SECRET=soak-secret-that-is-at-least-32-bytes-long APP_ACCESS_TOKEN_TTL_SECS=7200
db=""
if [ "$backend" = postgres ]; then
  db="rihla_soak_$$"
  psql postgres://postgres@127.0.0.1:5432/postgres -qc "CREATE DATABASE $db"
  export APP_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db"
fi
target/release/rihla serve > "$work/server.log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ -n "$db" ] && psql postgres://postgres@127.0.0.1:5432/postgres -qc "DROP DATABASE IF EXISTS $db" || true
  rm -rf "$work"
}
trap cleanup EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -sf "$base/ready" >/dev/null && break; sleep 0.2; done
token="$(curl -sf "$base/api/v1/auth/token" -H 'content-type: application/json' \
  -d '{"email":"admin@rihla.bench","password":"soak-admin-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
for i in $(seq 1 200); do
  curl -sf "$base/api/v1/projects" -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d "{\"code\":\"SEED-$i\",\"title\":\"Seed $i\",\"status\":\"active\",\"start_date\":\"2023-01-0$(( i % 9 + 1 ))\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
done > "$work/ids"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
echo "soak: $backend, ${duration} s, 32 connections, server pid $pid"
TOKEN="$token" IDS_FILE="$work/ids" RUN="$$" \
  wrk -t2 -c32 -d"${duration}s" --timeout 10s -s bench/soak.lua "$base" > "$work/wrk.out" 2>&1 &
wrk_pid=$!
sleep "$warmup"
rss_start="$(rss)"
wait "$wrk_pid"
rss_end="$(rss)"
peak="$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")"
line="$(grep '^SOAK ' "$work/wrk.out" || true)"
[ -n "$line" ] || { cat "$work/wrk.out"; echo "wrk printed no summary"; exit 1; }
growth="$(python3 -c "print(f'{($rss_end - $rss_start) / $rss_start * 100:+.1f}')")"
mkdir -p bench/results
out="bench/results/soak-$backend-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  backend: $backend  duration: ${duration} s  connections: 32"
  echo "$line"
  echo "rss_start_kib=$rss_start (after ${warmup} s)  rss_end_kib=$rss_end  growth=${growth}%  peak_rss_kib=$peak"
  grep -E 'Requests/sec|Latency' "$work/wrk.out" || true
} | tee "$out"
errors="$(echo "$line" | sed -E 's/.*non2xx=([0-9]+) socket_errors=([0-9]+).*/\1 \2/')"
set -- $errors
if [ "$1" != 0 ] || [ "$2" != 0 ]; then echo "soak: errors (target 0)"; exit 1; fi
python3 -c "import sys; sys.exit(0 if $rss_end <= $rss_start * 1.2 else 1)" || { echo "soak: RSS grew more than 20%"; exit 1; }
echo "soak: passed"
