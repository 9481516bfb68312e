#!/usr/bin/env python3
"""The performance benchmark (issue 5): the release server on SQLite and then
on PostgreSQL, driven by wrk at 32 connections with a real bearer token.

Per backend, in three stages of table size:
  small   10,000 projects and 10,000 activities:     W1 W2 W2deep W5
  main   100,000 projects and 1,000,000 activities:  W0 W1 W2 W2deep W5 W2v W2p W5v W5p R1 W3 W4
                                                     and R2, E1 (below)
  large  1,000,000 projects:                         W1 W2 W2deep
(the workloads are described in load.lua). Two are not wrk's: R2, the
whole-database participation report by year and kind, timed over REPEATS
sequential requests; E1, the CSV export of all 1,000,000 activities, read
to the end, with the server's RSS just before and its peak during it. Each workload gets a short warm-up
and then REPEATS measured runs of SECONDS each; the figures are the runs'
medians. The server's RSS is sampled every 100 ms during the measured runs.
On PostgreSQL, pgbench then runs the same primary-key SELECT, page query and
INSERT at the same concurrency, the database's own ceiling on this machine.

Prints a table and writes it, with the raw runs, to bench/results/.
Bounded: every wrk and pgbench run is time-limited; loopback only.

Usage: run.py BINARY [--seconds S] [--repeats R] [--backends sqlite,postgres]
                     [--stages small,main,large] [--workloads W1,W3]
"""

import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reliability"))
from reliability import Server, backend_env, fresh_pg_database  # noqa: E402

PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
CONNECTIONS = 32
THREADS = 2
STAGES = [
    ("small", 10_000, 10_000, ["W1", "W2", "W2deep", "W5"]),
    ("main", 100_000, 1_000_000, ["W0", "W1", "W2", "W2deep", "W5", "W2v", "W2p", "W5v", "W5p", "R1", "R2", "E1", "W3", "W4"]),
    ("large", 1_000_000, 1_000_000, ["W1", "W2", "W2deep"]),
]
# W2-deep starts this many rows into the list of active projects (60% of the
# projects are active, so 10,000 projects have 6,000 to page through).
DEEP_ROWS = {"small": 5_000, "main": 50_000, "large": 50_000}


def log(message):
    print(message, file=sys.stderr, flush=True)


class RssSampler:
    """Peak VmRSS of a process, sampled every 100 ms while running."""

    def __init__(self, pid):
        self.pid = pid
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                with open(f"/proc/{self.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            self.peak_kib = max(self.peak_kib, int(line.split()[1]))
            except OSError:
                pass
            self._stop.wait(0.1)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()


def wrk(base, env, seconds):
    out = subprocess.run(
        ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "5s", "--latency",
         "-s", os.path.join(HERE, "load.lua"), base],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=seconds + 60,
    ).stdout
    m = re.search(r"RESULT requests=(\d+) duration_us=(\d+) non2xx=(\d+) socket_errors=(\d+) "
                  r"p50_ms=([\d.]+) p99_ms=([\d.]+)", out)
    if not m:
        raise RuntimeError(f"wrk printed no RESULT line:\n{out}")
    requests, duration_us, non2xx, socket_errors = (int(m.group(i)) for i in range(1, 5))
    return {
        "rps": requests / (duration_us / 1e6),
        "p50": float(m.group(5)),
        "p99": float(m.group(6)),
        "errors": non2xx + socket_errors,
        "requests": requests,
    }


def get_json(base, path, token):
    req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.load(res)


def deep_cursor(base, token, rows):
    """The cursor after `rows` rows of the W2 list, walked 100 at a time."""
    cursor, seen = None, 0
    while seen < rows:
        path = "/api/v1/projects?status=active&sort=-start_date&limit=100"
        if cursor:
            path += "&cursor=" + urllib.parse.quote(cursor)
        page = get_json(base, path, token)
        seen += len(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            raise RuntimeError(f"the list ended after {seen} rows, before {rows}")
    return cursor


def post_json(base, path, token, body):
    req = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.load(res)


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def whole_report(base, token, repeats):
    """R2: seconds per whole-database participation report by year and kind."""
    path = "/api/v1/reports/participation?group_by=year,kind"
    get_json(base, path, token)  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        report = get_json(base, path, token)
        times.append(time.perf_counter() - started)
    return {"median_s": statistics.median(times), "max_s": max(times), "runs_s": times,
            "activities": report["totals"]["activities"], "groups": len(report["rows"])}


def csv_export(base, token, pid):
    """E1: the CSV export of every activity, read to the end: rows per second,
    and the server's RSS before it and at its peak during it."""
    time.sleep(1)
    before = vm_rss_kib(pid)
    req = urllib.request.Request(base + "/api/v1/activities?format=csv",
                                 headers={"Authorization": f"Bearer {token}"})
    lines = 0
    started = time.perf_counter()
    with RssSampler(pid) as rss:
        with urllib.request.urlopen(req, timeout=600) as res:
            while chunk := res.read(1 << 20):
                # "\n", not "\r\n": a chunk may end between the two.
                lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    # A cell may hold a line break of its own; the bench rows hold none.
    rows = lines - 1
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds,
            "rss_before_mib": before / 1024, "rss_peak_mib": rss.peak_kib / 1024,
            "rss_growth_mib": (rss.peak_kib - before) / 1024}


def scoped_tokens(base, admin):
    """An organisation-wide viewer, and a partner member of project 1 (the
    first seeded id): the callers of W2v/W5v and W2p/W5p."""
    tokens = {}
    for role in ("viewer", "partner"):
        email = f"bench-{role}-{time.time_ns()}@example.org"
        user = post_json(base, "/api/v1/users", admin,
                         {"email": email, "display_name": role, "role": role, "password": "bench-password-long"})
        tokens[role] = post_json(base, "/api/v1/auth/token", "",
                                 {"email": email, "password": "bench-password-long"})["access_token"]
        if role == "partner":
            post_json(base, f"/api/v1/projects/{'00000000-0000-0000-0000-%012x' % 1}/members", admin,
                      {"user_id": user["id"], "role": "viewer"})
    return tokens


def bench_backend(binary, backend, seconds, repeats, results, stages, only):
    data_dir = tempfile.mkdtemp(prefix=f"rihla-bench-{backend}-")
    args = argparse.Namespace(pg=None)
    db_name = None
    if backend == "postgres":
        args.pg, db_name = fresh_pg_database(PG_SERVER)
    env = backend_env(args, data_dir)
    env.update({"APP_ACCESS_TOKEN_TTL_SECS": "7200", "RUST_LOG": "warn",
        # A load generator is one caller far past any honest budget.
        "APP_RATE_LIMIT_PER_MINUTE": "0"})
    server = Server(binary, env)
    target = args.pg or os.path.join(data_dir, "rihla.db")
    try:
        server.start()
        token = server.token()
        base = f"http://127.0.0.1:{server.port}"
        for stage, projects, activities, workloads in STAGES:
            if stage not in stages:
                continue
            workloads = [w for w in workloads if not only or w in only]
            started = time.time()
            subprocess.run([sys.executable, os.path.join(HERE, "seed.py"), backend, target,
                            "--projects", str(projects), "--activities", str(activities)], check=True)
            log(f"[{backend}] seeded {projects:,} projects and {activities:,} activities "
                f"in {time.time() - started:.0f} s")
            cursor = deep_cursor(base, token, DEEP_ROWS[stage])
            scoped = scoped_tokens(base, token) if any(w[-1] in "vp" for w in workloads) else {}
            for workload in workloads:
                if workload == "R2":
                    r = whole_report(base, token, max(repeats, 5))
                    results.append({"backend": backend, "stage": stage, "workload": "R2", "extra": r})
                    log(f"[{backend}] {stage:5} R2     whole-database report by year and kind: median "
                        f"{r['median_s']:.3f} s, max {r['max_s']:.3f} s ({r['activities']:,} activities, "
                        f"{r['groups']} groups)")
                    continue
                if workload == "E1":
                    r = csv_export(base, token, server.proc.pid)
                    results.append({"backend": backend, "stage": stage, "workload": "E1", "extra": r})
                    log(f"[{backend}] {stage:5} E1     CSV export: {r['rows']:,} rows in {r['seconds']:.1f} s, "
                        f"{r['rows_per_s']:,.0f} rows/s; RSS {r['rss_before_mib']:.1f} MiB before, peak "
                        f"{r['rss_peak_mib']:.1f} MiB (+{r['rss_growth_mib']:.1f})")
                    continue
                caller = {"v": scoped.get("viewer"), "p": scoped.get("partner")}.get(workload[-1], token)
                load_env = {"WORKLOAD": workload, "TOKEN": caller, "PROJECTS": str(projects),
                            "ACTIVITY_PROJECTS": str(activities // 10), "CURSOR": cursor,
                            "THREADS": str(THREADS)}
                # Each wrk run (the warm-up too) gets its own slice of the ids
                # for W4, so every If-Match it sends is the version it knows.
                slice_size = projects // (repeats + 1)

                def one_run(i, length):
                    load_env.update({"RUN": f"{stage}{i}", "FIRST": str(i * slice_size + 1),
                                     "COUNT": str(slice_size)})
                    return wrk(base, load_env, length)

                one_run(repeats, 2)  # warm-up, not counted
                runs = []
                with RssSampler(server.proc.pid) as rss:
                    for i in range(repeats):
                        runs.append(one_run(i, seconds))
                row = {
                    "backend": backend, "stage": stage, "workload": workload,
                    "rows": activities if workload in ("W5", "R1") else projects,
                    "rps": statistics.median(r["rps"] for r in runs),
                    "p50": statistics.median(r["p50"] for r in runs),
                    "p99": statistics.median(r["p99"] for r in runs),
                    "errors": sum(r["errors"] for r in runs),
                    "rss_mib": rss.peak_kib / 1024,
                    "runs": runs,
                }
                results.append(row)
                log(f"[{backend}] {stage:5} {workload:6} {row['rps']:9.0f} req/s  p50 {row['p50']:.2f} ms  "
                    f"p99 {row['p99']:.2f} ms  errors {row['errors']}  peak RSS {row['rss_mib']:.1f} MiB")
        with open(f"/proc/{server.proc.pid}/status") as f:
            hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
        log(f"[{backend}] server peak RSS over the whole run (VmHWM, seeding included): {hwm / 1024:.1f} MiB")
        if backend == "postgres" and not only:
            results.extend(pgbench(args.pg, seconds))
    finally:
        server.stop()
        if db_name:
            subprocess.run(["psql", PG_SERVER, "-qc", f"DROP DATABASE IF EXISTS {db_name}"], check=False)
        shutil.rmtree(data_dir, ignore_errors=True)


PGBENCH = {
    "pk": "\\set n random(1, 100000)\n"
    "SELECT * FROM projects WHERE id = lpad(to_hex(:n::bigint), 32, '0')::uuid AND deleted_at IS NULL;\n",
    "page": "SELECT * FROM projects WHERE status = 'active' AND deleted_at IS NULL "
    "ORDER BY start_date DESC, id DESC LIMIT 21;\n",
    "insert": "INSERT INTO projects (id, code, title, status, start_date, created_at, updated_at, version) "
    "VALUES (gen_random_uuid(), 'PGB-' || gen_random_uuid(), 'pgbench project', 'active', "
    "date '2024-01-01', now(), now(), 1);\n",
}


def pgbench(url, seconds):
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, script in PGBENCH.items():
            path = os.path.join(tmp, f"{name}.sql")
            with open(path, "w") as f:
                f.write(script)
            out = subprocess.run(
                ["pgbench", "-n", "-M", "prepared", "-c", str(CONNECTIONS), "-j", str(THREADS),
                 "-T", str(seconds), "-f", path, url],
                capture_output=True, text=True, timeout=seconds + 60,
            )
            m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout)
            if not m:
                raise RuntimeError(f"pgbench printed no tps:\n{out.stdout}\n{out.stderr}")
            lat = re.search(r"latency average = ([\d.]+) ms", out.stdout)
            rows.append({"backend": "pgbench", "stage": "main", "workload": name, "rows": 100_000,
                         "rps": float(m.group(1)), "p50": None, "p99": None, "errors": 0, "rss_mib": None,
                         "latency_avg": float(lat.group(1)) if lat else None})
            log(f"[pgbench] {name:6} {float(m.group(1)):9.0f} tps")
    return rows


def table(results):
    w0 = {r["backend"]: r["rps"] for r in results if r["workload"] == "W0"}
    ceiling = {r["workload"]: r["rps"] for r in results if r["backend"] == "pgbench"}
    lines = [
        "| backend | workload | rows | req/s | p50 ms | p99 ms | errors | peak RSS MiB | / W0 | / pgbench |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    extras = []
    for r in results:
        if "extra" in r:
            x = r["extra"]
            if r["workload"] == "R2":
                extras.append(f"{r['backend']} R2 whole-database participation report by year and kind "
                              f"({x['activities']:,} activities): median {x['median_s']:.3f} s, "
                              f"max {x['max_s']:.3f} s over {len(x['runs_s'])} requests")
            else:
                extras.append(f"{r['backend']} E1 CSV export of {x['rows']:,} activities: "
                              f"{x['rows_per_s']:,.0f} rows/s ({x['seconds']:.1f} s); RSS "
                              f"{x['rss_before_mib']:.1f} MiB before, peak {x['rss_peak_mib']:.1f} MiB "
                              f"(+{x['rss_growth_mib']:.1f} MiB)")
            continue
        if r["backend"] == "pgbench":
            lines.append(f"| pgbench | {r['workload']} | {r['rows']:,} | {r['rps']:,.0f} | | | | | | |")
            continue
        ratio = f"{r['rps'] / w0[r['backend']]:.2f}" if r["backend"] in w0 else ""
        db = {"W1": "pk", "W2": "page", "W3": "insert"}.get(r["workload"])
        frac = ""
        if r["backend"] == "postgres" and r["stage"] == "main" and db in ceiling:
            frac = f"{r['rps'] / ceiling[db]:.2f}"
        lines.append(
            f"| {r['backend']} | {r['workload']} | {r['rows']:,} | {r['rps']:,.0f} | {r['p50']:.2f} | "
            f"{r['p99']:.2f} | {r['errors']} | {r['rss_mib']:.1f} | {ratio} | {frac} |"
        )
    growth = []
    for backend in ("sqlite", "postgres"):
        by = {(r["stage"], r["workload"]): r["rps"] for r in results
              if r["backend"] == backend and "rps" in r}
        for workload, small, large in (("W1", "small", "large"), ("W2", "small", "large"), ("W5", "small", "main")):
            if (small, workload) in by and (large, workload) in by:
                change = by[(large, workload)] / by[(small, workload)] - 1
                growth.append(f"{backend} {workload}: 1,000,000 rows vs 10,000: {change:+.0%}")
        for stage in ("small", "main", "large"):
            if (stage, "W2") in by and (stage, "W2deep") in by:
                change = by[(stage, "W2deep")] / by[(stage, "W2")] - 1
                growth.append(f"{backend} W2-deep vs W2 ({stage}): {change:+.0%}")
        for w in ("W2", "W5"):
            if ("main", f"{w}p") in by and ("main", f"{w}v") in by:
                change = by[("main", f"{w}p")] / by[("main", f"{w}v")] - 1
                growth.append(f"{backend} {w} as a partner of 1 project of 100,000 vs as a viewer: {change:+.1%}")
    return "\n".join(lines), "\n".join(growth + extras)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgres")
    # For iterating on one figure; a reported run uses the defaults.
    parser.add_argument("--stages", default="small,main,large")
    parser.add_argument("--workloads", default="", help="e.g. W1,W3 (default: all)")
    args = parser.parse_args()
    started = time.time()
    when = datetime.datetime.now(datetime.timezone.utc)
    results = []
    for backend in args.backends.split(","):
        bench_backend(args.binary, backend, args.seconds, args.repeats, results,
                      args.stages.split(","), set(filter(None, args.workloads.split(","))))
    rows, growth = table(results)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=HERE).stdout.strip()
    header = (f"Rihla benchmark, {when:%Y-%m-%d %H:%M} UTC, commit {commit}, {os.cpu_count()} cores; "
              f"wrk -t{THREADS} -c{CONNECTIONS}, medians of {args.repeats} runs of {args.seconds} s; "
              f"whole run {time.time() - started:.0f} s")
    report = f"{header}\n\n{rows}\n\n{growth}\n"
    print(report)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    stem = os.path.join(HERE, "results", f"bench-{when:%Y%m%dT%H%M%SZ}")
    with open(stem + ".md", "w") as f:
        f.write(report)
    with open(stem + ".json", "w") as f:
        json.dump({"header": header, "results": results}, f, indent=1)
    print(f"written to {stem}.md and .json")


if __name__ == "__main__":
    main()
