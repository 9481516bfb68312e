#!/usr/bin/env python3
"""Contract fuzzing: schemathesis against a running `rihla serve`.

Starts the given binary on a fresh database (SQLite, or a new database on the
PostgreSQL server --pg names) with the demo data, logs in as the admin, and
runs schemathesis over every operation of /api-docs/openapi.json with every
check and the settings in schemathesis.toml beside this file. Passes when
schemathesis reports no failure and the server is still up and ready after.

Usage: fuzz.py BINARY --schemathesis PATH [--pg URL] [-- extra schemathesis args]
Bounded: loopback only; schemathesis ends by itself (100 cases per operation),
and the whole run is capped at --max-minutes.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reliability"))
from reliability import Server, backend_env, fail, fresh_pg_database  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
LOGOUT_ALL = "/api/v1/auth/logout-all"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--schemathesis", required=True, help="the schemathesis executable (pinned in .ci/run)")
    parser.add_argument("--pg", help="PostgreSQL server URL; a fresh database is made on it")
    parser.add_argument("--max-minutes", type=float, default=25)
    parser.add_argument("extra", nargs="*", help="more schemathesis arguments, after --")
    args = parser.parse_args()

    created_db = None
    if args.pg:
        args.pg, created_db = fresh_pg_database(args.pg)
    data_dir = tempfile.mkdtemp(prefix="rihla-contract-")
    env = backend_env(args, data_dir)
    # The run outlasts the default 15-minute access token; the demo data gives
    # lists and the stateful phase real records to start from.
    env.update({"APP_ACCESS_TOKEN_TTL_SECS": "7200", "APP_DEMO": "true", "RUST_LOG": "warn"})
    # A reporting organisation, so the IATI exports answer their documents
    # (not only the 409 of an unconfigured server).
    env.update({
        "APP_IATI_REPORTING_ORG_REF": "XM-EXAMPLE",
        "APP_IATI_REPORTING_ORG_TYPE": "40",
        "APP_IATI_REPORTING_ORG_NAME": "Rihla contract fuzzing",
    })
    server = Server(args.binary, env)
    try:
        server.start()
        # Both tokens first: the first pass's wrong passwords may lock the
        # admin's login for the throttle window.
        token, last_token = server.token(), server.token()
        base = [
            args.schemathesis,
            "--config-file",
            os.path.join(HERE, "schemathesis.toml"),
            "run",
            f"http://127.0.0.1:{server.port}/api-docs/openapi.json",
            # Every check is on in schemathesis.toml ([checks] enabled), not
            # by `--checks all`: a check named on the command line would
            # override the one the config turns off for one kind of operation.
            "--header",
        ]
        # Two passes: every operation but "log out everywhere" with the
        # admin's token, then that one alone with a token of its own, since
        # its first success ends every session the token belongs to.
        # (The second has no links to follow, so no stateful phase.)
        passes = [
            (token, ["--exclude-path", LOGOUT_ALL, "--phases", "examples,coverage,fuzzing,stateful"]),
            (last_token, ["--include-path", LOGOUT_ALL, "--phases", "examples,coverage,fuzzing"]),
        ]
        for pass_token, selection in passes:
            command = [*base, f"Authorization: Bearer {pass_token}", *selection, *args.extra]
            shown = [("Authorization: Bearer ***" if c.startswith("Authorization:") else c) for c in command]
            print("$", " ".join(shown), flush=True)
            try:
                result = subprocess.run(command, timeout=args.max_minutes * 60, env={**os.environ, "NO_COLOR": "1"})
            except subprocess.TimeoutExpired:
                fail(f"schemathesis ran past {args.max_minutes} minutes")
            if result.returncode != 0:
                fail(f"schemathesis reported failures (exit {result.returncode}); server log: {server.log.name}")
        if server.proc.poll() is not None:
            fail(f"the server exited during the run ({server.proc.returncode}); log: {server.log.name}")
        status, _, _ = server.request("GET", "/ready", timeout=10)
        if status != 200:
            fail(f"/ready answered {status} after the run; log: {server.log.name}")
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
        if created_db:
            server_url = urllib.parse.urlsplit(args.pg)._replace(path="/postgres").geturl()
            subprocess.run(["psql", server_url, "-qc", f"DROP DATABASE IF EXISTS {created_db}"], check=False)
    print("contract fuzzing: passed", flush=True)


if __name__ == "__main__":
    main()
