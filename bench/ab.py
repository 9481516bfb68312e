#!/usr/bin/env python3
"""A/B: two or more builds of the server against one seeded database, in
interleaved rounds, so a change is judged against its baseline on the same
minute of this noisy machine rather than against last hour's run.

    cargo build --release && cp target/release/rihla /tmp/rihla-new
    git stash && cargo build --release && cp target/release/rihla /tmp/rihla-old && git stash pop
    python3 bench/ab.py /tmp/rihla-old /tmp/rihla-new --workloads W1,W3
    python3 bench/ab.py /tmp/rihla-new /tmp/rihla-new@APP_SQLITE_SYNCHRONOUS=full --backend sqlite

A binary may carry environment after `@` (NAME=VALUE,NAME=VALUE). Each round
starts every binary in turn on the same database and runs each workload of
load.lua: a 2 s warm-up, then one run of SECONDS. It prints every run and then
each binary's medians (req/s, p99, errors, peak RSS). The first binary started
also applies the migrations, which some allocators keep as RSS; put the
baseline first. Bounded like run.py: every wrk run is time-limited.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run  # noqa: E402
from reliability import Server, backend_env, fresh_pg_database  # noqa: E402

# W4 edits ids of its own per wrk run (see load.lua), this many per run.
SLICE = 4_000


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binaries", nargs="+", help="BINARY or BINARY@NAME=VALUE,...")
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--workloads", default="W1,W2,W3")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=100_000)
    a = parser.parse_args()
    slices_needed = 2 * a.rounds * len(a.binaries)
    if "W4" in a.workloads and slices_needed * SLICE > a.projects:
        parser.error(f"W4 needs {slices_needed * SLICE:,} projects for its slices; raise --projects")

    data_dir = tempfile.mkdtemp(prefix="rihla-ab-")
    pg, db_name = (fresh_pg_database(run.PG_SERVER) if a.backend == "postgres" else (None, None))
    target = pg or os.path.join(data_dir, "rihla.db")
    results, seeded, next_slice = {}, False, 0
    try:
        for rnd in range(a.rounds):
            for b, spec in enumerate(a.binaries):
                binary, _, extra = spec.partition("@")
                env = backend_env(argparse.Namespace(pg=pg), data_dir)
                env.update({"APP_ACCESS_TOKEN_TTL_SECS": "7200", "RUST_LOG": "warn",
                    # A load generator is one caller far past any honest budget.
                    "APP_RATE_LIMIT_PER_MINUTE": "0"})
                env.update(kv.split("=", 1) for kv in extra.split(",") if kv)
                server = Server(binary, env)
                server.start()
                try:
                    if not seeded:  # after the first start: the server makes the schema
                        subprocess.run([sys.executable, os.path.join(HERE, "seed.py"), a.backend, target,
                                        "--projects", str(a.projects), "--activities", str(a.activities)],
                                       check=True)
                        seeded = True
                    token = server.token()
                    base = f"http://127.0.0.1:{server.port}"
                    cursor = run.deep_cursor(base, token, 5_000)
                    for workload in a.workloads.split(","):
                        load_env = {"WORKLOAD": workload, "TOKEN": token, "PROJECTS": str(a.projects),
                                    "ACTIVITY_PROJECTS": str(a.activities // 10), "CURSOR": cursor,
                                    "THREADS": str(run.THREADS), "COUNT": str(SLICE)}
                        for label, seconds in (("warm", 2), ("run", a.seconds)):
                            load_env.update({"RUN": f"r{rnd}b{b}{label}", "FIRST": str(1 + next_slice * SLICE)})
                            next_slice += workload == "W4"
                            if label == "warm":
                                run.wrk(base, load_env, seconds)
                                continue
                            with run.RssSampler(server.proc.pid) as rss:
                                r = run.wrk(base, load_env, seconds)
                            results.setdefault((workload, spec), []).append(
                                (r["rps"], r["p99"], r["errors"], rss.peak_kib / 1024))
                            print(f"round {rnd} {workload} {spec}: {r['rps']:.0f} req/s, p99 {r['p99']:.1f} ms, "
                                  f"errors {r['errors']}, RSS {rss.peak_kib / 1024:.0f} MiB", flush=True)
                finally:
                    server.stop()
    finally:
        if db_name:
            subprocess.run(["psql", run.PG_SERVER, "-qc", f"DROP DATABASE IF EXISTS {db_name}"], check=False)
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"== medians of {a.rounds} rounds ({a.backend})")
    for (workload, spec), runs in sorted(results.items()):
        print(f"{workload} {spec}: {statistics.median(r[0] for r in runs):,.0f} req/s, "
              f"p99 {statistics.median(r[1] for r in runs):.1f} ms, errors {sum(r[2] for r in runs)}, "
              f"peak RSS {max(r[3] for r in runs):.0f} MiB")


if __name__ == "__main__":
    main()
