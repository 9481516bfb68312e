#!/usr/bin/env bash
# The performance benchmark, all of it, in one command (issue 5):
#
#   bench/run.sh                      both backends, medians of 3 runs of 5 s
#   bench/run.sh --backends postgres  one backend
#   bench/run.sh --seconds 10 --repeats 5
#
# Builds the release binary, then bench/run.py seeds each backend through the
# bulk path (bench/seed.py), drives wrk, runs pgbench, prints the table and
# writes it to bench/results/. Needs wrk and pgbench (apt-get install wrk
# postgresql-client) and PostgreSQL on 127.0.0.1:5432 (BENCH_PG_URL to change).
# Loopback only; every load run is time-limited, and the whole run ends by
# itself (about 13 minutes with the defaults).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in wrk pgbench psql; do
  command -v "$tool" >/dev/null || { echo "$tool is required: apt-get install wrk postgresql-client"; exit 1; }
done
cargo build -q --release --bin rihla
exec timeout 900 python3 bench/run.py target/release/rihla "$@"
