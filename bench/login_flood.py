#!/usr/bin/env python3
"""A flood of wrong-password logins against the release server (issue 17).

2,000 `POST /api/v1/auth/token` with wrong passwords over 128 concurrent
connections, while one client reads `/health` every 20 ms. Two settings:

  throttled   the defaults: after 5 failures per account or 50 per address
              within 15 minutes, 429 without hashing anything;
  unthrottled the throttle raised out of reach, so every attempt asks for an
              Argon2id hash and meets the hashing bound (one per core, 2 s
              wait, then 503 + Retry-After).

Prints, per setting: the statuses, the server's RSS before and its peak
during the flood (sampled every 20 ms from /proc), /health p50/p99/max, and
whether any 5xx other than 503 with Retry-After appeared. Medians of
--repeats runs. Figures, not a test: bench/README.md quotes the last run.

Usage: bench/login_flood.py target/release/rihla [--pg URL] [--repeats 3]
Bounded: loopback only; each flood stops after its 2,000 requests or 120 s.
"""
import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reliability"))
from reliability import ADMIN_EMAIL, Server, backend_env, fresh_pg_database  # noqa: E402

REQUESTS = 2000
CONNECTIONS = 128


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def flood(port, emails):
    """2,000 wrong-password logins over 128 keep-alive connections."""
    lock = threading.Lock()
    issued = [0]
    statuses = {}
    bad_5xx = []
    deadline = time.time() + 120

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.time() < deadline:
            with lock:
                if issued[0] >= REQUESTS:
                    break
                n = issued[0]
                issued[0] += 1
            body = json.dumps({"email": emails[n % len(emails)], "password": f"wrong-{n}"})
            try:
                conn.request("POST", "/api/v1/auth/token", body=body, headers={"Content-Type": "application/json"})
                res = conn.getresponse()
                res.read()
                status = res.status
                if status >= 500 and not (status == 503 and res.getheader("Retry-After")):
                    bad_5xx.append(status)
            except OSError as e:
                status = f"error:{type(e).__name__}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    for t in threads:
        t.start()
    return threads, statuses, bad_5xx


def run_once(args, throttled):
    data_dir = tempfile.mkdtemp(prefix="rihla-flood-")
    env = backend_env(args, data_dir)
    env.update({"RUST_LOG": "warn"})
    if not throttled:
        env.update({"APP_LOGIN_MAX_FAILURES": "1000000", "APP_LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000"})
    server = Server(args.binary, env)
    server.start()
    try:
        server.token()  # one real login first: the hashing path is warm
        time.sleep(1)
        pid = server.proc.pid
        before = rss_kib(pid)
        peak = [before]
        health = []
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], rss_kib(pid))
                time.sleep(0.02)

        def probe():
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            while not stop.is_set():
                started = time.perf_counter()
                conn.request("GET", "/health")
                conn.getresponse().read()
                health.append((time.perf_counter() - started) * 1000)
                time.sleep(0.02)
            conn.close()

        helpers = [threading.Thread(target=sample), threading.Thread(target=probe)]
        for t in helpers:
            t.start()
        # The admin and 99 accounts that do not exist, as an attacker spraying would.
        emails = [ADMIN_EMAIL] + [f"guess-{uuid.uuid4().hex[:8]}@example.org" for _ in range(99)]
        started = time.time()
        threads, statuses, bad_5xx = flood(server.port, emails)
        for t in threads:
            t.join()
        elapsed = time.time() - started
        stop.set()
        for t in helpers:
            t.join()
        health.sort()
        return {
            "statuses": statuses,
            "seconds": elapsed,
            "rss_before_mib": before / 1024,
            "rss_peak_mib": peak[0] / 1024,
            "rss_growth_mib": (peak[0] - before) / 1024,
            "health_p50_ms": health[len(health) // 2],
            "health_p99_ms": health[min(len(health) - 1, int(len(health) * 0.99))],
            "health_max_ms": health[-1],
            "health_samples": len(health),
            "bad_5xx": len(bad_5xx),
        }
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--pg", help="PostgreSQL server URL; a fresh database is made on it per run")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    pg_server = args.pg
    print(f"{REQUESTS} wrong-password logins, {CONNECTIONS} connections, backend {'PostgreSQL' if pg_server else 'SQLite'}")
    print("| setting | statuses (all runs) | s (median) | RSS before MiB | peak MiB | growth MiB | /health p50 ms | p99 ms | max ms | 5xx not 503+Retry-After |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for throttled in (True, False):
        runs = []
        for _ in range(args.repeats):
            if pg_server:
                args.pg, _ = fresh_pg_database(pg_server)
            runs.append(run_once(args, throttled))
        statuses = {}
        for r in runs:
            for k, v in r["statuses"].items():
                statuses[k] = statuses.get(k, 0) + v
        med = lambda key: statistics.median(r[key] for r in runs)  # noqa: E731
        print(
            f"| {'throttled' if throttled else 'unthrottled'} | "
            + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=str))
            + f" | {med('seconds'):.1f} | {med('rss_before_mib'):.1f} | {med('rss_peak_mib'):.1f} | {med('rss_growth_mib'):.1f}"
            + f" | {med('health_p50_ms'):.1f} | {med('health_p99_ms'):.1f} | {max(r['health_max_ms'] for r in runs):.1f}"
            + f" | {sum(r['bad_5xx'] for r in runs)} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
