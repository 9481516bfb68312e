#!/usr/bin/env python3
"""Issue 28's reproductions against a server binary: figures, not a test.

  methods   200,000 requests with distinct invented HTTP methods to /health:
            RSS before and after (target: growth under 8 MiB).
  health    2,000,000 GET /health with nothing scraping /metrics, by wrk:
            RSS after the first 200,000 and at the end (target: flat within
            8 MiB).
  email     10 s of logins with a 1 MB email from one client: database and
            WAL growth (target: under 1 MiB); then the admin logs in with
            the right password from another address while a stranger floods
            wrong ones from its own (target: 200).
  lists     two 1 MiB activity bodies of 100,000+ topics validated at once
            while one client reads /health every 10 ms: /health p50/p99/max
            (target p99 under 50 ms).

Usage: bench/hardening.py BINARY [--pg URL] [--only methods,health,email,lists]
Bounded: loopback only; every step stops by itself (counts and timeouts).
"""
import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reliability"))
from reliability import ADMIN_EMAIL, ADMIN_PASSWORD, Server, backend_env, fresh_pg_database  # noqa: E402


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def raw_methods(port, count, prefix):
    """`count` requests with distinct methods over keep-alive sockets."""
    sent = 0
    while sent < count:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        batch = min(1000, count - sent)
        payload = b"".join(
            f"{prefix}{sent + i} /health HTTP/1.1\r\nHost: x\r\n\r\n".encode() for i in range(batch)
        )
        s.sendall(payload)
        got, buf = 0, b""
        deadline = time.time() + 30
        while got < batch and time.time() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            got = buf.count(b"HTTP/1.1 ")
        s.close()
        sent += batch


def login(port, email, password, forwarded=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"content-type": "application/json"}
    if forwarded:
        headers["x-forwarded-for"] = forwarded
    conn.request("POST", "/api/v1/auth/token", json.dumps({"email": email, "password": password}), headers)
    res = conn.getresponse()
    body = res.read()
    conn.close()
    return res.status, body


def token(port):
    status, body = login(port, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert status == 200, body
    return json.loads(body)["access_token"]


def db_bytes(data_dir):
    return sum(
        os.path.getsize(os.path.join(data_dir, f))
        for f in os.listdir(data_dir)
        if f.startswith("rihla.db")
    )


def health_sampler(port, stop, out):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while not stop.is_set():
        t = time.perf_counter()
        conn.request("GET", "/health")
        conn.getresponse().read()
        out.append((time.perf_counter() - t) * 1000)
        time.sleep(0.01)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--pg")
    ap.add_argument("--only", default="methods,health,email,lists")
    args = ap.parse_args()
    only = set(args.only.split(","))
    data_dir = tempfile.mkdtemp(prefix="rihla-hardening-")
    if args.pg:
        args.pg, _ = fresh_pg_database(args.pg)
    env = backend_env(args, data_dir)
    env.update({"APP_TRUST_FORWARDED_FOR": "true", "APP_WORKERS": "2"})
    server = Server(args.binary, env)
    server.start()
    port, pid = server.port, server.proc.pid
    try:
        if "methods" in only:
            raw_methods(port, 2000, "WARM")
            before = rss_mib(pid)
            t = time.time()
            raw_methods(port, 200_000, "FOOBAR")
            print(f"methods: RSS {before:.1f} -> {rss_mib(pid):.1f} MiB after 200,000 distinct methods "
                  f"({time.time() - t:.1f} s)", flush=True)
        if "health" in only:
            wrk = ["wrk", "-t2", "-c32", "--timeout", "10s"]
            subprocess.run(wrk + ["-d3s", f"http://127.0.0.1:{port}/health"], capture_output=True)
            first = rss_mib(pid)
            total, runs = 0, 0
            while total < 2_000_000 and runs < 40:
                out = subprocess.run(wrk + ["-d5s", f"http://127.0.0.1:{port}/health"],
                                     capture_output=True, text=True).stdout
                line = [l for l in out.splitlines() if "requests in" in l]
                total += int(line[0].split()[0]) if line else 0
                runs += 1
            print(f"health: RSS {first:.1f} MiB after warm-up, {rss_mib(pid):.1f} MiB after "
                  f"{total:,} more GET /health, nothing scraping", flush=True)
        if "email" in only:
            email = "x" * 1_000_000 + "@example.org"
            before = db_bytes(data_dir) if not args.pg else None
            statuses = {}
            t = time.time()
            while time.time() - t < 10:
                status, _ = login(port, email, "wrong-password-here", "203.0.113.9")
                statuses[status] = statuses.get(status, 0) + 1
            grown = (db_bytes(data_dir) - before) / 1024 if before is not None else float("nan")
            print(f"email: {sum(statuses.values())} logins with a 1 MB email in 10 s, statuses {statuses}; "
                  f"database + WAL growth {grown:.1f} KiB", flush=True)
            stop = threading.Event()
            flood_statuses = {}

            def flood():
                while not stop.is_set():
                    s, _ = login(port, ADMIN_EMAIL, "wrong-password-here", "203.0.113.9")
                    flood_statuses[s] = flood_statuses.get(s, 0) + 1
            threads = [threading.Thread(target=flood) for _ in range(4)]
            for th in threads:
                th.start()
            time.sleep(2)
            t = time.perf_counter()
            status, _ = login(port, ADMIN_EMAIL, ADMIN_PASSWORD, "198.51.100.7")
            took = time.perf_counter() - t
            stop.set()
            for th in threads:
                th.join()
            print(f"lockout: while a stranger sent {sum(flood_statuses.values())} wrong admin passwords "
                  f"({flood_statuses}), the admin from another address got {status} in {took * 1000:.0f} ms",
                  flush=True)
        if "lists" in only:
            tok = token(port)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request("POST", "/api/v1/projects", json.dumps({
                "code": "HARD-1", "title": "Hardening", "status": "active",
                "start_date": "2024-01-01", "end_date": "2025-12-31", "country_codes": ["LY"],
                "duty_stations": ["Tripoli"], "themes": ["governance"]}),
                {"content-type": "application/json", "authorization": f"Bearer {tok}"})
            res = conn.getresponse()
            project = json.loads(res.read()).get("id")
            # As many distinct topics as fit in the default 1 MiB body limit.
            topics = [f"t{i:06d}" for i in range(95_000)]
            body = json.dumps({"kind": "training", "title": "Huge", "project_id": project, "topics": topics})
            samples, stop = [], threading.Event()
            sampler = threading.Thread(target=health_sampler, args=(port, stop, samples))
            sampler.start()
            time.sleep(0.5)
            answers = []
            rounds = int(os.environ.get("LIST_ROUNDS", "3"))

            def send():
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                t = time.perf_counter()
                try:
                    c.request("POST", "/api/v1/activities", body,
                              {"content-type": "application/json", "authorization": f"Bearer {tok}"})
                    r = c.getresponse()
                    r.read()
                    answers.append((r.status, round((time.perf_counter() - t) * 1000)))
                except OSError as e:
                    answers.append((type(e).__name__, round((time.perf_counter() - t) * 1000)))
            for _ in range(rounds):
                senders = [threading.Thread(target=send) for _ in range(2)]
                for s in senders:
                    s.start()
                for s in senders:
                    s.join()
            time.sleep(0.5)
            stop.set()
            sampler.join()
            print(f"lists: bodies of {len(body) / 1024:.0f} KiB, two at a time x3: answers {answers}; "
                  f"/health p50 {statistics.median(samples):.1f} ms, p99 {pct(samples, 0.99):.1f} ms, "
                  f"max {max(samples):.1f} ms over {len(samples)} reads", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
