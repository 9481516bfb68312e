#!/usr/bin/env python3
"""Query plans of every project and activity list filter and sort (issue 5:
no sequential scan on the 100,000 and 1,000,000-row tables).

    python3 bench/plans.py target/release/rihla

Starts the server on a fresh PostgreSQL database whose sessions load
auto_explain (every statement's plan goes to the server log), seeds 100,000
projects and 1,000,000 activities with bench/seed.py, requests each filter
with each sort in both directions and its second page, and prints the
requests whose plans hold a Seq Scan of those tables or their children. Reads the
PostgreSQL log at BENCH_PG_LOG (default: Debian's for PostgreSQL 15).
Bounded: about 250 requests; the database is dropped at the end.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run  # noqa: E402
from reliability import Server, backend_env, fresh_pg_database  # noqa: E402

LOG = os.environ.get("BENCH_PG_LOG", "/var/log/postgresql/postgresql-15-main.log")
# The tables a list reads. The log also holds the plans of the server's
# periodic clean-ups, whose foreign-key checks scan the one-row users table.
LISTED = {"projects", "project_participants", "project_outcomes", "project_tags",
          "activities", "activity_locations", "activity_organisations", "activity_tags"}
binary = sys.argv[1]
url, name = fresh_pg_database(run.PG_SERVER)
for s in ["session_preload_libraries = 'auto_explain'", "auto_explain.log_min_duration = 0",
          "auto_explain.log_nested_statements = on"]:
    subprocess.run(["psql", run.PG_SERVER, "-qc", f"ALTER DATABASE {name} SET {s}"], check=True)
data_dir = os.path.join(HERE, "results", "plans-data")
env = backend_env(argparse.Namespace(pg=url), data_dir)
env.update({"APP_ACCESS_TOKEN_TTL_SECS": "7200", "RUST_LOG": "warn"})
srv = Server(binary, env)
srv.start()  # applies the migrations
org = "00000000-0000-0002-0000-%012x" % 5
pid = "00000000-0000-0000-0000-%012x" % 77
P = ["status=active", "country_code=LY", "theme=governance", f"organisation_id={org}", "role=funding",
     f"organisation_id={org}&role=funding", "start_from=2019-01-01", "start_to=2019-12-31",
     "start_from=2019-01-01&start_to=2019-03-31", "status=active&country_code=LY", ""]
PS = ["code", "title", "start_date", "end_date", "created_at", "updated_at"]
A = [f"project_id={pid}", "kind=training", "status=planned", "modality=online", "country_code=LY",
     f"organisation_id={org}", "role=organiser", "topic=migration%20governance", "from=2019-01-01&to=2019-06-30",
     f"project_id={pid}&from=2019-01-01&to=2020-12-31", ""]
AS = ["start_date", "end_date", "title", "created_at", "updated_at"]
reqs = []
for f in P:
    for s in PS:
        for d in ("", "-"):
            reqs.append(f"/api/v1/projects?{f}&sort={d}{s}&limit=20")
for f in A:
    for s in AS:
        for d in ("", "-"):
            reqs.append(f"/api/v1/activities?{f}&sort={d}{s}&limit=20")
try:
    subprocess.run([sys.executable, os.path.join(HERE, "seed.py"), "postgres", url, "--projects", "100000",
                    "--activities", "1000000"], check=True)
    # Restarted, so its connections plan against the analysed tables.
    srv.stop()
    srv.start()
    token = srv.token()
    base = f"http://127.0.0.1:{srv.port}"
    bad = []
    for r in reqs:
        start = os.path.getsize(LOG)
        page = run.get_json(base, r, token)
        cursor = page.get("next_cursor")
        if cursor:  # the second page too: the keyset condition
            run.get_json(base, r + "&cursor=" + urllib.parse.quote(cursor), token)
        time.sleep(0.05)
        with open(LOG) as f:
            f.seek(start)
            text = f.read()
        seqs = set(re.findall(r"Seq Scan on (\w+)", text)) & LISTED
        if seqs:
            bad.append((r, sorted(seqs)))
    print(f"{len(reqs)} requests (and their second pages); with a sequential scan: {len(bad)}")
    for r, s in bad:
        print("  ", r, s)
finally:
    srv.stop()
    subprocess.run(["psql", run.PG_SERVER, "-qc", f"DROP DATABASE IF EXISTS {name}"])
    shutil.rmtree(data_dir, ignore_errors=True)
