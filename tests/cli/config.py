#!/usr/bin/env python3
"""The binary refuses configuration it does not understand, before it does
anything (issue 29): each case runs `rihla` with one bad setting on a fresh
data folder and expects a non-zero exit, a message naming what the operator
set, and no database created. Then what must work: flags after the
subcommand, boolean spellings, `rihla healthcheck` against a live server.

Usage: tests/cli/config.py target/debug/rihla
Bounded: every command has a timeout; the server it starts is stopped.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

BINARY = os.path.abspath(sys.argv[1])
failures = []


def run(args, env=None, timeout=60):
    data = tempfile.mkdtemp(prefix="rihla-cli-")
    full = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
    full.update({"APP_DATA_DIR": data, "APP_LOG_FORMAT": "json", "RUST_LOG": "warn"})
    full.update(env or {})
    p = subprocess.run([BINARY, *args], env=full, capture_output=True, text=True, timeout=timeout)
    return p, data


def refused(name, args, env, *expected):
    p, data = run(args, env)
    out = p.stdout + p.stderr
    made = [f for f in os.listdir(data) if f.startswith("rihla.db")] if os.path.isdir(data) else []
    if p.returncode == 0 or not all(e in out for e in expected) or made:
        failures.append(f"{name}: exit {p.returncode}, files {made}, output:\n{out}")
    else:
        print(f"ok  {name}: {out.strip().splitlines()[-1][:160]}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


refused("a typo in a variable", ["migrate"], {"APP_DATABASE_ULR": "postgres://x"},
        "APP_DATABASE_ULR", "APP_DATABASE_URL")
refused("an unknown variable", ["serve"], {"APP_BNID": "127.0.0.1:0"}, "APP_BNID", "APP_BIND")
refused("a database URL of another scheme", ["migrate"], {"APP_DATABASE_URL": "mysql://x/y"},
        "APP_DATABASE_URL", "mysql")
refused("a database URL that is no URL", ["migrate"], {"APP_DATABASE_URL": "not-a-url"}, "APP_DATABASE_URL")
refused("an admin email that is none", ["serve"], {"APP_ADMIN_EMAIL": "not-an-email"}, "APP_ADMIN_EMAIL")
refused("an empty admin email", ["serve"], {"APP_ADMIN_EMAIL": ""}, "APP_ADMIN_EMAIL")
refused("a blank admin password", ["serve"], {"APP_ADMIN_PASSWORD": " " * 12}, "APP_ADMIN_PASSWORD")
refused("a zero body limit", ["serve"], {"APP_BODY_LIMIT_BYTES": "0"}, "APP_BODY_LIMIT_BYTES")
refused("a negative refresh lifetime", ["serve"], {"APP_REFRESH_TOKEN_TTL_DAYS": "-1"},
        "APP_REFRESH_TOKEN_TTL_DAYS")
refused("a boolean that is none", ["migrate"], {"APP_DEMO": "maybe"}, "APP_DEMO")
refused("a CORS origin out of range", ["serve"], {"APP_CORS_ORIGINS": "https://a.org:70000"},
        "APP_CORS_ORIGINS")
secret_file = os.path.join(tempfile.mkdtemp(prefix="rihla-cli-"), "jwt")
with open(secret_file, "w") as f:
    f.write("a-jwt-secret-from-a-file-of-at-least-32-bytes\n")
refused("a secret given twice", ["serve"], {"APP_JWT_SECRET": "x" * 40, "APP_JWT_SECRET_FILE": secret_file},
        "APP_JWT_SECRET", "APP_JWT_SECRET_FILE")
refused("a secret file that is missing", ["serve"], {"APP_ADMIN_PASSWORD_FILE": "/nonexistent/pw"},
        "APP_ADMIN_PASSWORD_FILE", "/nonexistent/pw")
refused("a backup to a missing folder", ["backup", "/nonexistent-folder/x.db"], {},
        "/nonexistent-folder")

# A busy port: refused before migrations run or an admin is made.
with socket.socket() as busy:
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    refused("a busy API port", ["serve"], {"APP_BIND": f"127.0.0.1:{port}"}, "APP_BIND", str(port))
    refused("a busy metrics port", ["serve"],
            {"APP_BIND": f"127.0.0.1:{free_port()}", "APP_METRICS_BIND": f"127.0.0.1:{port}"},
            "APP_METRICS_BIND")

# What must work: a flag after the subcommand, APP_DEMO=1.
for name, args, env in [
    ("a flag after the subcommand", ["migrate", "--sqlite-synchronous", "full"], {}),
    ("APP_DEMO=1", ["migrate"], {"APP_DEMO": "1"}),
]:
    p, _ = run(args, env)
    if p.returncode != 0:
        failures.append(f"{name}: exit {p.returncode}\n{p.stderr}")
    else:
        print(f"ok  {name}")

# A server with its JWT secret from a file and no admin password: the
# generated password goes to a private file, never to the output. healthcheck
# is 0 against it and 1 once it is gone.
port = free_port()
data = tempfile.mkdtemp(prefix="rihla-cli-")
env = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
env.update({"APP_DATA_DIR": data, "APP_BIND": f"127.0.0.1:{port}", "APP_LOG_FORMAT": "json",
            "APP_JWT_SECRET_FILE": secret_file, "RUST_LOG": "info"})
server = subprocess.Popen([BINARY, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
try:
    status = None
    for _ in range(100):
        status = subprocess.run([BINARY, "healthcheck"], env=env, capture_output=True, timeout=10).returncode
        if status == 0:
            break
        time.sleep(0.2)
    if status != 0:
        failures.append("healthcheck never answered 0 against a running server")
    else:
        print("ok  healthcheck against a running server")
    password_file = os.path.join(data, "admin-password")
    mode = os.stat(password_file).st_mode & 0o777
    with open(password_file) as f:
        generated = f.read().strip()
    import json
    import urllib.request
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/auth/token", method="POST",
                                 data=json.dumps({"email": "admin@rihla.local", "password": generated}).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as res:
        login_status = res.status
    if mode != 0o600 or login_status != 200:
        failures.append(f"generated admin password: file mode {oct(mode)}, login {login_status}")
    else:
        print("ok  the generated admin password is in a 0600 file and logs in")
finally:
    server.terminate()
    out, _ = server.communicate(timeout=60)
if '"configuration"' not in out and "configuration" not in out:
    failures.append(f"no start-up configuration line:\n{out}")
elif generated in out or "admin-password" not in out:
    failures.append(f"the output holds the admin password, or not the file's path:\n{out}")
else:
    print("ok  one start-up line gives the configuration")
status = subprocess.run([BINARY, "healthcheck"], env=env, capture_output=True, timeout=10).returncode
if status == 0:
    failures.append("healthcheck answered 0 with no server")
else:
    print("ok  healthcheck without a server exits", status)

if failures:
    print("\n".join(["FAILED:", *failures]))
    sys.exit(1)
print("configuration checks passed")
