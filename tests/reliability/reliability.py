#!/usr/bin/env python3
"""Reliability scenarios that need the real `rihla` process and signals.

  crash     SIGKILL mid-load: every create that got a 201 is there after a
            restart, byte for byte, and the database opens cleanly.
  shutdown  SIGTERM under load: requests in flight finish (no 5xx, no reset),
            and the process exits within its grace period.
  backup    `rihla backup` under a create load (SQLite): the copy is sound and
            holds every create acknowledged before it began.
  two-instances  two processes on one PostgreSQL database (--pg): a failed-
            login count shared, an API key revoked on one refused by the other.
  outage    PostgreSQL stopped for 10 s under light load: 503 problem+json in
            bounded time, /ready 503, and recovery without a restart. Runs a
            private PostgreSQL (initdb) on another loopback port.

Usage: reliability.py BINARY SCENARIO [--pg URL]   (SQLite unless --pg)
Bounded: every scenario stops by itself within a minute or two; loopback only.
Standard library only, so CI needs nothing but python3.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

ADMIN_EMAIL = "admin@rihla.test"
ADMIN_PASSWORD = "reliability-admin-password"
JWT_SECRET = "reliability-secret-that-is-at-least-32-bytes"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


class Server:
    """One `rihla serve` process on a free loopback port."""

    def __init__(self, binary, env):
        self.binary = binary
        self.env = env
        self.port = free_port()
        self.proc = None
        self.log = tempfile.NamedTemporaryFile(prefix="rihla-reliability-", suffix=".log", delete=False)

    def start(self):
        env = dict(os.environ)
        env.update(self.env)
        env["APP_BIND"] = f"127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([self.binary, "serve"], env=env, stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                fail(f"the server exited at start with {self.proc.returncode}; log: {self.log.name}")
            try:
                status, _, _ = self.request("GET", "/ready", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        fail("the server did not become ready within 30 s")

    def request(self, method, path, body=None, token=None, timeout=15, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            h = {"Connection": "close"}
            if token:
                h["Authorization"] = f"Bearer {token}"
            if body is not None:
                h["Content-Type"] = "application/json"
                body = json.dumps(body)
            h.update(headers or {})
            conn.request(method, path, body=body, headers=h)
            res = conn.getresponse()
            return res.status, res.getheader("Content-Type") or "", res.read()
        finally:
            conn.close()

    def token(self):
        status, _, body = self.request(
            "POST", "/api/v1/auth/token", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        if status != 200:
            fail(f"login answered {status}: {body[:200]!r}")
        return json.loads(body)["access_token"]

    def stop(self, sig=signal.SIGTERM, timeout=40):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def backend_env(args, data_dir):
    env = {
        "APP_DATA_DIR": data_dir,
        "APP_ADMIN_EMAIL": ADMIN_EMAIL,
        "APP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "APP_JWT_SECRET": JWT_SECRET,
        "APP_LOG_FORMAT": "json",
        "RUST_LOG": "warn",
        # The load below is one caller far past any honest request budget.
        "APP_RATE_LIMIT_PER_MINUTE": "0",
    }
    if args.pg:
        env["APP_DATABASE_URL"] = args.pg
    return env


def fresh_pg_database(server_url):
    """A new database on the server `server_url` names; returns its URL."""
    name = f"rihla_reliability_{uuid.uuid4().hex[:12]}"
    subprocess.run(["psql", server_url, "-qc", f"CREATE DATABASE {name}"], check=True)
    parts = urllib.parse.urlsplit(server_url)
    return parts._replace(path=f"/{name}").geturl(), name


def crash(args):
    """Creates from 8 threads, SIGKILL after ~1.5 s, restart, read every 201 back."""
    data_dir = tempfile.mkdtemp(prefix="rihla-crash-")
    server = Server(args.binary, backend_env(args, data_dir))
    server.start()
    token = server.token()
    acknowledged = []
    lock = threading.Lock()
    stop = threading.Event()
    refused = [0]

    def load(n):
        i = 0
        while not stop.is_set():
            i += 1
            body = {"name": f"Crash test organisation {n}-{i}", "kind": "civil_society", "country_code": "LY"}
            try:
                status, _, raw = server.request("POST", "/api/v1/organisations", body, token, timeout=5)
            except OSError:
                with lock:
                    refused[0] += 1
                time.sleep(0.01)
                continue
            if status == 201:
                with lock:
                    acknowledged.append(raw)

    threads = [threading.Thread(target=load, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait()
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join()
    print(f"crash: {len(acknowledged)} creates acknowledged before SIGKILL "
          f"({refused[0]} requests found no server afterwards)", flush=True)
    if len(acknowledged) < 20:
        fail("too few creates before the kill to prove anything")

    if not args.pg:
        db = sqlite3.connect(os.path.join(data_dir, "rihla.db"))
        check = db.execute("PRAGMA integrity_check").fetchone()[0]
        db.close()
        if check != "ok":
            fail(f"SQLite integrity_check after SIGKILL: {check}")
        print("crash: SQLite integrity_check ok", flush=True)

    server.start()
    token = server.token()
    missing, different = 0, 0
    for raw in acknowledged:
        record = json.loads(raw)
        status, _, again = server.request("GET", f"/api/v1/organisations/{record['id']}", token=token)
        if status != 200:
            missing += 1
        elif again != raw:
            different += 1
    server.stop()
    shutil.rmtree(data_dir, ignore_errors=True)
    if missing or different:
        fail(f"after restart {missing} acknowledged creates are missing and {different} differ")
    print(f"crash: all {len(acknowledged)} acknowledged creates present and byte-identical", flush=True)


def slow_create(server, token, results, index):
    """A POST whose body trickles in over ~2 s: surely in flight at SIGTERM."""
    body = json.dumps({"name": f"Slow organisation {index}", "kind": "civil_society"}).encode()
    try:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=20)
        head = (
            f"POST /api/v1/organisations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        sock.sendall(head)
        for i in range(0, len(body), 4):
            sock.sendall(body[i:i + 4])
            time.sleep(2.0 / (len(body) / 4))
        response = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            response += chunk
        sock.close()
        status = int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else None
        results[index] = status
    except OSError as e:
        results[index] = f"error: {e!r}"


def shutdown(args):
    """SIGTERM while slow creates are in flight and fast requests keep coming."""
    data_dir = tempfile.mkdtemp(prefix="rihla-shutdown-")
    env = backend_env(args, data_dir)
    grace = 10
    env["APP_SHUTDOWN_GRACE_SECS"] = str(grace)
    server = Server(args.binary, env)
    server.start()
    token = server.token()
    slow = {}
    slow_threads = [threading.Thread(target=slow_create, args=(server, token, slow, i)) for i in range(4)]
    for t in slow_threads:
        t.start()
    stop = threading.Event()
    stats = {"ok": 0, "server_error": 0, "not_accepted": 0}
    lock = threading.Lock()

    def load():
        while not stop.is_set():
            try:
                status, _, _ = server.request("GET", "/api/v1/organisations?limit=5", token=token, timeout=5)
                key = "server_error" if status >= 500 else "ok"
            except OSError:
                # Refused or reset while connecting: the listener is closed, so
                # the request was never accepted.
                key = "not_accepted"
                time.sleep(0.01)
            with lock:
                stats[key] += 1

    fast = [threading.Thread(target=load) for _ in range(4)]
    for t in fast:
        t.start()
    time.sleep(0.7)
    signalled = time.time()
    server.proc.send_signal(signal.SIGTERM)
    try:
        code = server.proc.wait(timeout=grace + 5)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        fail(f"the server did not exit within {grace + 5} s of SIGTERM")
    took = time.time() - signalled
    stop.set()
    for t in fast + slow_threads:
        t.join()
    shutil.rmtree(data_dir, ignore_errors=True)
    print(f"shutdown: exit code {code} {took:.1f} s after SIGTERM (grace {grace} s); "
          f"slow creates in flight: {sorted(slow.values(), key=str)}; fast requests: {stats}", flush=True)
    if code != 0:
        fail(f"exit code {code}")
    if took > grace:
        fail(f"exit took {took:.1f} s, past the {grace} s grace period")
    if any(v != 201 for v in slow.values()):
        fail(f"an in-flight request did not finish: {slow}")
    if stats["server_error"]:
        fail(f"{stats['server_error']} requests got a 5xx during shutdown")


def outage(args):
    """A private PostgreSQL, stopped for 10 s under light load."""
    bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
    if not bindir:
        versions = sorted(os.listdir("/usr/lib/postgresql"))
        bindir = f"/usr/lib/postgresql/{versions[-1]}/bin"
    port = free_port()
    pgdata = tempfile.mkdtemp(prefix="rihla-outage-pg-")
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if run_as:
        shutil.chown(pgdata, "postgres", "postgres")

    def pg_ctl(*more):
        subprocess.run(run_as + [f"{bindir}/pg_ctl", "-D", pgdata, "-w", "-l", f"{pgdata}/log", *more],
                       check=True, stdout=subprocess.DEVNULL)

    subprocess.run(run_as + [f"{bindir}/initdb", "-D", pgdata, "-A", "trust", "-U", "postgres"],
                   check=True, stdout=subprocess.DEVNULL)
    options = f"-p {port} -k {pgdata} -c listen_addresses=127.0.0.1"
    pg_ctl("-o", options, "start")
    data_dir = tempfile.mkdtemp(prefix="rihla-outage-")
    env = backend_env(args, data_dir)
    env["APP_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{port}/postgres"
    request_timeout = 5
    env["APP_REQUEST_TIMEOUT_SECS"] = str(request_timeout)
    env["APP_DB_ACQUIRE_TIMEOUT_MS"] = "2000"
    server = Server(args.binary, env)
    try:
        server.start()
        token = server.token()
        phase = ["before"]
        seen = {"before": [], "down": [], "after": []}
        lock = threading.Lock()
        stop = threading.Event()

        def load():
            i = 0
            while not stop.is_set():
                i += 1
                started = time.time()
                if i % 3 == 0:
                    method, path, body = "POST", "/api/v1/organisations", {
                        "name": f"Outage organisation {uuid.uuid4().hex}", "kind": "civil_society"}
                else:
                    method, path, body = "GET", "/api/v1/organisations?limit=5", None
                try:
                    status, ctype, _ = server.request(method, path, body, token, timeout=request_timeout + 10)
                except OSError as e:
                    status, ctype = f"error {e!r}", ""
                with lock:
                    seen[phase[0]].append((status, ctype, time.time() - started))
                time.sleep(0.1)

        threads = [threading.Thread(target=load) for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        with lock:
            phase[0] = "down"
        pg_ctl("-m", "fast", "stop")
        time.sleep(2)
        ready_down, _, _ = server.request("GET", "/ready", timeout=request_timeout + 5)
        time.sleep(8)
        pg_ctl("-o", options, "start")
        with lock:
            phase[0] = "after"
        recovered_at = None
        deadline = time.time() + 30
        while time.time() < deadline:
            status, _, _ = server.request("GET", "/api/v1/organisations?limit=5", token=token, timeout=10)
            if status == 200:
                recovered_at = time.time()
                break
            time.sleep(0.2)
        time.sleep(1.5)
        stop.set()
        for t in threads:
            t.join()
        ready_after, _, _ = server.request("GET", "/ready")
        alive = server.proc.poll() is None
    finally:
        server.stop()
        try:
            pg_ctl("-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(pgdata, ignore_errors=True)
        shutil.rmtree(data_dir, ignore_errors=True)

    down = seen["down"]
    # "down" begins just before PostgreSQL is told to stop, so a request
    # that completed in between is a success, a read (200) or a create (201)
    # alike; what may not appear is any other answer.
    bad = [s for s in down if not (s[0] in (200, 201) or (s[0] == 503 and s[1].startswith("application/problem+json")))]
    slowest = max((s[2] for s in down), default=0)
    statuses = {}
    for s in down:
        statuses[s[0]] = statuses.get(s[0], 0) + 1
    print(f"outage: during the 10 s outage {len(down)} requests answered {statuses}, slowest {slowest:.1f} s; "
          f"/ready {ready_down} while down, {ready_after} after; recovered "
          f"{'yes' if recovered_at else 'no'}; after the restart {sum(1 for s in seen['after'] if s[0] in (200, 201))} of "
          f"{len(seen['after'])} requests 2xx", flush=True)
    if not alive:
        fail("the server died during the outage")
    if bad:
        fail(f"during the outage some answers were neither 503 problem+json nor a success: {bad[:5]}")
    if not any(s[0] == 503 for s in down):
        fail("no request saw the outage")
    if slowest > request_timeout + 1:
        fail(f"a request took {slowest:.1f} s during the outage, past the {request_timeout} s request timeout")
    if ready_down != 503:
        fail(f"/ready answered {ready_down} with the database down")
    if not recovered_at or ready_after != 200:
        fail("the service did not recover by itself once PostgreSQL was back")
    after = seen["after"]
    if after and after[-1][0] not in (200, 201):
        fail(f"the last request after recovery answered {after[-1][0]}")


def backup(args):
    """`rihla backup` in the middle of a create load: the copy passes
    PRAGMA integrity_check and holds every create acknowledged before the
    backup began."""
    if args.pg:
        fail("backup is the SQLite command; PostgreSQL is backed up with pg_dump")
    data_dir = tempfile.mkdtemp(prefix="rihla-backup-")
    copy = os.path.join(data_dir, "backup.db")
    env = backend_env(args, data_dir)
    server = Server(args.binary, env)
    server.start()
    acknowledged = []  # (time acknowledged, id)
    lock = threading.Lock()
    stop = threading.Event()
    token = server.token()

    def create(worker):
        n = 0
        while not stop.is_set():
            n += 1
            status, _, body = server.request(
                "POST", "/api/v1/organisations",
                {"name": f"Backup load {worker}-{n}", "kind": "other"}, token=token,
            )
            if status == 201:
                with lock:
                    acknowledged.append((time.time(), json.loads(body)["id"]))

    try:
        workers = [threading.Thread(target=create, args=(i,)) for i in range(4)]
        for t in workers:
            t.start()
        time.sleep(1.5)
        began = time.time()
        result = subprocess.run(
            [args.binary, "backup", copy], env={**os.environ, **env},
            capture_output=True, text=True, timeout=60,
        )
        ended = time.time()
        time.sleep(1.5)
        stop.set()
        for t in workers:
            t.join()
        if result.returncode != 0:
            fail(f"rihla backup failed: {result.stderr[-500:]}")
        before = {i for at, i in acknowledged if at < began}
        during = [i for at, i in acknowledged if began <= at <= ended]
        after = [i for at, i in acknowledged if at > ended]
        db = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
        check = db.execute("PRAGMA integrity_check").fetchone()[0]
        rows = {r[0] for r in db.execute("SELECT id FROM organisations")}
        db.close()
        if check != "ok":
            fail(f"the backup's integrity_check says {check!r}")
        # sqlx stores uuids as 16-byte blobs or text; compare both ways.
        found = {uuid.UUID(bytes=r) if isinstance(r, bytes) else uuid.UUID(r) for r in rows}
        missing = [i for i in before if uuid.UUID(i) not in found]
        if missing:
            fail(f"{len(missing)} of {len(before)} creates acknowledged before the backup are not in it")
        mode = os.stat(copy).st_mode & 0o777
        if mode != 0o600:
            fail(f"the backup is mode {mode:o}, not 600")
        print(f"backup: {len(before)} creates acknowledged before it began, {len(during)} during "
              f"({(ended - began) * 1000:.0f} ms), {len(after)} after; {len(rows)} organisations in the "
              f"copy, integrity_check ok, mode 600; {result.stdout.strip()}", flush=True)
    finally:
        stop.set()
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def read_feed(server, token):
    """Every entry of the change feed, page by page."""
    items, after = [], ""
    while True:
        status, _, body = server.request("GET", f"/api/v1/changes?limit=1000&after={after}", token=token)
        if status != 200:
            fail(f"the change feed answered {status}")
        page = json.loads(body)
        if not page["items"]:
            return items
        items.extend(page["items"])
        after = page["next_cursor"]


def two_instances(args):
    """Two `rihla serve` processes on one PostgreSQL database: the change feed
    stays exactly-once with writers on both, an Idempotency-Key replays across
    them, If-Match increments spread over both lose nothing; failed logins are
    counted together; a deactivated user, a revoked refresh token and a
    revoked API key are refused by both within the README's bound (1 s)."""
    if not args.pg:
        fail("two-instances needs --pg: SQLite is one process's database")
    data_dirs = [tempfile.mkdtemp(prefix="rihla-two-") for _ in range(2)]
    servers = []
    try:
        for data_dir in data_dirs:
            env = backend_env(args, data_dir)
            env.update({"APP_LOGIN_MAX_FAILURES": "4", "APP_LOGIN_MAX_FAILURES_PER_ADDRESS": "1000"})
            server = Server(args.binary, env)
            server.start()
            servers.append(server)
        a, b = servers
        token = a.token()
        statuses = []
        for server in (a, b, a, b, a, b):
            status, _, _ = server.request("POST", "/api/v1/auth/token", {"email": ADMIN_EMAIL, "password": "wrong-password-here"})
            statuses.append(status)
        if statuses != [401, 401, 401, 401, 429, 429]:
            fail(f"four failures over two instances should lock the account on both: {statuses}")
        # Writers on both at once; the feed, read through either, has every
        # acknowledged create exactly once, in increasing positions.
        acknowledged, lock, stop = [], threading.Lock(), threading.Event()

        def write(server, worker):
            n = 0
            while not stop.is_set():
                n += 1
                status, _, body = server.request(
                    "POST", "/api/v1/organisations",
                    {"name": f"Two {worker}-{n}", "kind": "other"}, token=token)
                if status == 201:
                    with lock:
                        acknowledged.append((worker, json.loads(body)["id"]))

        writers = [threading.Thread(target=write, args=(s, f"{name}{i}"))
                   for name, s in (("a", a), ("b", b)) for i in range(4)]
        for t in writers:
            t.start()
        time.sleep(3)
        stop.set()
        for t in writers:
            t.join()
        time.sleep(1.5)  # the sequencer numbers what committed
        feed = read_feed(b, token)
        positions = [e["position"] for e in feed]
        if positions != sorted(set(positions)):
            fail("feed positions are not strictly increasing")
        creates = [e["record_id"] for e in feed if e["resource_type"] == "organisation" and e["action"] == "create"]
        ids = [i for _, i in acknowledged]
        missing = set(ids) - set(creates)
        duplicates = len(creates) - len(set(creates))
        on_a = sum(1 for w, _ in acknowledged if w.startswith("a"))
        if missing or duplicates:
            fail(f"feed: {len(missing)} acknowledged creates missing, {duplicates} duplicates")
        print(f"two-instances: {on_a} creates through one instance, {len(ids) - on_a} through the other; "
              f"{len(feed)} feed entries read, 0 missing, 0 duplicates, positions increasing", flush=True)

        # One Idempotency-Key, one record, whichever instance is asked.
        key_headers = {"Idempotency-Key": f"two-instances-{uuid.uuid4()}"}
        body = {"name": "Idempotent organisation", "kind": "other"}
        first = a.request("POST", "/api/v1/organisations", body, token=token, headers=key_headers)
        again = b.request("POST", "/api/v1/organisations", body, token=token, headers=key_headers)
        if first[0] != 201 or again[0] != 201 or json.loads(first[2])["id"] != json.loads(again[2])["id"]:
            fail(f"an Idempotency-Key replayed on the other instance gave {again[0]}, not the same record")

        # If-Match increments over both: each success is one version.
        org = json.loads(first[2])
        path = f"/api/v1/organisations/{org['id']}"
        successes, conflicts = [0], [0]

        def increment(server, times):
            for _ in range(times):
                while True:
                    status, _, current = server.request("GET", path, token=token)
                    version = json.loads(current)["version"]
                    status, _, _ = server.request(
                        "PATCH", path, {"acronym": f"V{version + 1}"}, token=token,
                        headers={"If-Match": f'"{version}"', "Content-Type": "application/merge-patch+json"})
                    if status == 200:
                        with lock:
                            successes[0] += 1
                        break
                    if status != 412:
                        fail(f"an If-Match PATCH answered {status}")
                    with lock:
                        conflicts[0] += 1

        bumpers = [threading.Thread(target=increment, args=(s, 10)) for s in (a, b, a, b)]
        for t in bumpers:
            t.start()
        for t in bumpers:
            t.join()
        status, _, final = a.request("GET", path, token=token)
        if json.loads(final)["version"] != 1 + successes[0]:
            fail(f"{successes[0]} increments succeeded but the version is {json.loads(final)['version']}")
        print(f"two-instances: {successes[0]} If-Match increments over both, {conflicts[0]} 412s retried, "
              "no update lost", flush=True)

        # Refused by both within 1 s: a deactivated user, a revoked refresh token.
        email = f"two-{uuid.uuid4().hex[:8]}@example.org"
        status, _, user = a.request("POST", "/api/v1/users", {"email": email, "display_name": "Two", "role": "viewer",
                                                              "password": "two-instances-password"}, token=token)
        user = json.loads(user)
        status, _, pair = b.request("POST", "/api/v1/auth/token", {"email": email, "password": "two-instances-password"})
        pair = json.loads(pair)
        for s in (a, b):
            if s.request("GET", "/api/v1/auth/me", token=pair["access_token"])[0] != 200:
                fail("a fresh token is refused")
        status, _, _ = a.request("POST", "/api/v1/auth/logout", {"refresh_token": pair["refresh_token"]})
        status, _, _ = b.request("POST", "/api/v1/auth/refresh", {"refresh_token": pair["refresh_token"]})
        if status != 401:
            fail(f"a refresh token revoked on one instance answered {status} on the other")
        _, _, pair = a.request("POST", "/api/v1/auth/token", {"email": email, "password": "two-instances-password"})
        pair = json.loads(pair)
        b.request("GET", "/api/v1/auth/me", token=pair["access_token"])  # b remembers the user
        a.request("PATCH", f"/api/v1/users/{user['id']}", {"active": False}, token=token,
                  headers={"Content-Type": "application/merge-patch+json"})
        time.sleep(1.1)
        if b.request("GET", "/api/v1/auth/me", token=pair["access_token"])[0] != 401:
            fail("a user deactivated on one instance is still served by the other after 1 s")

        status, _, body = a.request("POST", "/api/v1/api-keys", {"name": "shared", "role": "viewer"}, token=token)
        if status != 201:
            fail(f"creating a key answered {status}: {body[:200]!r}")
        created = json.loads(body)
        secret, key_id = created["secret"], created["key"]["id"]
        status, _, _ = b.request("GET", "/api/v1/projects", token=secret)
        if status != 200:
            fail(f"the key made on one instance answered {status} on the other")
        status, _, _ = a.request("DELETE", f"/api/v1/api-keys/{key_id}", token=token)
        if status != 204:
            fail(f"revoking answered {status}")
        status, _, _ = b.request("GET", "/api/v1/projects", token=secret)
        if status != 401:
            fail(f"a key revoked on one instance answered {status} on the other")
    finally:
        for server in servers:
            server.stop()
        for data_dir in data_dirs:
            shutil.rmtree(data_dir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("scenario", choices=["crash", "shutdown", "outage", "two-instances", "backup"])
    parser.add_argument("--pg", help="PostgreSQL server URL; a fresh database is made on it")
    args = parser.parse_args()
    created_db = None
    if args.pg and args.scenario != "outage":
        args.pg, created_db = fresh_pg_database(args.pg)
    try:
        {"crash": crash, "shutdown": shutdown, "outage": outage, "two-instances": two_instances, "backup": backup}[args.scenario](args)
    finally:
        if created_db:
            server_url = urllib.parse.urlsplit(args.pg)._replace(path="/postgres").geturl()
            subprocess.run(["psql", server_url, "-qc", f"DROP DATABASE IF EXISTS {created_db}"], check=False)
    print(f"{args.scenario}: passed", flush=True)


if __name__ == "__main__":
    main()
