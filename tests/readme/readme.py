#!/usr/bin/env python3
"""The README runs (issue 29): every ```sh block of README.md, in order, as a
reader would run them against the server the README tells them to start.

The first block starts the server; each block after it runs in bash with
`set -euo pipefail`, the variables earlier blocks set carried over, and
`curl` failing on any HTTP error (`--fail-with-body`), so a wrong status
fails the run as a non-zero exit does. A line that starts the server again
(`cargo run --release --bin rihla ...`) restarts it with the variables the
block exported. Substitutions, the only ones: `cargo run --release --bin
rihla --` is the binary given here (built already), the port 8080 a free
one, and the data folder a fresh one. Blocks fenced `console` are the
developers' commands (tests, benchmarks, CI steps) that CI runs itself.

Usage: tests/readme/readme.py target/debug/rihla
Bounded: each block has 120 s; the server is stopped at the end.
"""
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
BINARY = os.path.abspath(sys.argv[1])
START = re.compile(r"^(?P<env>(?:[A-Z_]+=\S+\s+)*)cargo run --release --bin rihla(?: -- (?P<args>[^&]*))?(?P<bg>&)?\s*$")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def blocks():
    text = open(os.path.join(ROOT, "README.md")).read()
    for m in re.finditer(r"```sh\n(.*?)```", text, re.S):
        yield text[: m.start()].count("\n") + 1, m.group(1)


class Server:
    def __init__(self, port, data):
        self.port, self.data, self.proc = port, data, None

    def start(self, env, args):
        self.stop()
        full = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
        full.update(env)
        full.update({"APP_BIND": f"127.0.0.1:{self.port}", "APP_DATA_DIR": self.data,
                     "APP_LOG_FORMAT": "json", "RUST_LOG": "warn"})
        self.log = open(os.path.join(os.path.dirname(self.data), "server.log"), "a")
        self.proc = subprocess.Popen([BINARY, *args], env=full, stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"the server exited at start ({self.proc.returncode}); log {self.log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        sys.exit("the server did not become ready in 60 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=60)


def start_line(line, exported):
    """(env, args) of a README line that starts the server, or None."""
    m = START.match(line.strip())
    if not m:
        return None
    env = dict(exported)
    for pair in shlex.split(m.group("env") or ""):
        k, v = pair.split("=", 1)
        env[k] = v
    args = shlex.split(m.group("args") or "") or ["serve"]
    return env, args


def main():
    work = tempfile.mkdtemp(prefix="rihla-readme-")
    data = os.path.join(work, "data")
    port = free_port()
    server = Server(port, data)
    # The blocks run where a reader's clone is: iati/ at hand.
    os.symlink(os.path.join(os.path.abspath(ROOT), "iati"), os.path.join(work, "iati"))
    state = os.path.join(work, "state.sh")
    open(state, "w").close()
    exported = {}
    ran = 0
    try:
        for line_no, body in blocks():
            body = body.replace("127.0.0.1:8080", f"127.0.0.1:{port}").replace("localhost:8080", f"localhost:{port}")
            # One command per line: bash joins a backslash-newline the same way.
            body = body.replace("\\\n", " ")
            script = []
            for line in body.splitlines():
                if line.strip().startswith("export "):
                    # Exported settings are for the server the block starts next.
                    for pair in shlex.split(line.strip()[len("export "):]):
                        k, _, v = pair.partition("=")
                        if k.startswith("APP_"):
                            exported[k] = v
                started = start_line(line, exported)
                if started is not None:
                    # Run what came before, then (re)start the server.
                    run(script, state, work, line_no)
                    script = []
                    server.start(*started)
                else:
                    script.append(line)
            run(script, state, work, line_no)
            ran += 1
            print(f"ok  README.md block at line {line_no}", flush=True)
    finally:
        server.stop()
    print(f"the README's {ran} shell blocks ran")


def run(lines, state, work, line_no):
    """Runs `lines` in bash with the earlier blocks' variables."""
    # Continuation lines: join a trailing backslash with the next line.
    text = "\n".join(lines).strip()
    if not text:
        return
    script = f"""set -euo pipefail
curl() {{ command curl --fail-with-body --max-time 60 "$@"; }}
source {shlex.quote(state)}
{text}
for v in $(compgen -v | grep -E '^[A-Z][A-Z0-9_]*$' | grep -vE '^(BASH.*|EUID|PPID|UID|SHELLOPTS|PIPESTATUS|GROUPS|HOSTNAME|HOSTTYPE|IFS|OPTIND|OSTYPE|PATH|PS4|PWD|SHLVL|HOME|OLDPWD|MACHTYPE|DIRSTACK|FUNCNAME|LINENO|RANDOM|SECONDS|COMP.*|HIST.*|TERM|LANG|USER|LOGNAME|_.*)$'); do
  declare -p "$v" 2>/dev/null
done > {shlex.quote(state)}.new
mv {shlex.quote(state)}.new {shlex.quote(state)}
"""
    p = subprocess.run(["bash", "-c", script], cwd=work, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        sys.exit(f"README.md block at line {line_no} failed (exit {p.returncode}):\n{text}\n--- stdout\n{p.stdout}\n--- stderr\n{p.stderr}")


if __name__ == "__main__":
    main()
