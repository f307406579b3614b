#!/usr/bin/env python3
"""README's quick start, run literally, so a newcomer cannot fall off it.

Every ```sh block from "## Quick start" up to "## The web console" runs in
one bash session, in order, from the repository root, as a person would
type it: `make run`, `make fake-graph` and `make sample-bot` go to the background (a terminal
of their own in README), and `make reset` first stops them (README says to
stop serve). Two things differ from a person's machine, so the test never
touches theirs: the data directory is a temporary one (DATA_DIR,
SWITCHBOARD_DATA_DIR), and serve and the fake Graph API listen on free
ports (ADDR, FAKE_GRAPH_ADDR, SAMPLE_BOT_ADDR, SWITCHBOARD_URL; the
README's 127.0.0.1:8080, :8090 and :8070 are rewritten to them).

A command that fails stops the test (bash -e; curl fails on an HTTP
error), and the outputs named in EXPECT must appear. README must not point
outside the repository.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FIRST, END = "## Quick start", "## The web console"

# (command prefix, its occurrence among commands with that prefix, what its
# output must contain): the points where the walk must have done what
# README says, not only exited 0.
EXPECT = [
    ("make conversations", 1, "7700000000000001"),
    ("cargo run -q -p switchboard-cli -- routing last", 1, "offered to anna"),
    ("cargo run -q -p switchboard-cli -- routing last", 2, "follow-up"),
    ("cargo run -q -p switchboard-cli -- agents", 2, "0/2"),
    ("sb agent accept last", 1, "accept"),
    ("sb agent show last", 1, "Tak!"),
    ("sb agent contact last --email", 1, "ada@example.com"),
    ("make timeline ID=last", 2, "survey"),
    ("curl -H \"Authorization: Bearer local-dev-admin-token-change-me\" http://127.0.0.1:8080/admin/v1/surveys", 1, '"score":5'),
    ("make timeline ID=last", 3, "We are open"),
    ("cargo run -q -p switchboard-cli -- routing last", 3, "invoice question"),
    ("sb agent show last", 2, "escalated"),
    ("make timeline ID=last", 4, "handed back to app 900000000000099"),
    ("curl -s -H \"Authorization: Bearer any\"", 1, '"app_id":"900000000000099"'),
    ("make pages", 1, "running"),
    ("make pages", 2, "error"),
    ("make pages", 3, "running"),
    ("curl -s \"$(echo", 1, 'data-state="done"'),
    ("make timeline ID=last", 5, "[erased]"),
]


def free_ports(n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def blocks(text):
    """The commands of every sh block between FIRST and END, continuation
    lines joined, comment-only and empty lines left out."""
    start, end = text.index(FIRST), text.index(END)
    section = text[start:end]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            if line.strip() and not line.strip().startswith("#"):
                commands.append(line.rstrip())
    return commands


def outside_paths(text):
    """Links and paths that leave the repository (a clone has nothing there)."""
    return sorted(set(re.findall(r"(?<![\w.])\.\./[\w./-]+", text)))


def script(commands, serve_port, graph_port, bot_port):
    """One bash session: the commands in order, each one's output kept in
    its own file, the background ones started and waited for."""
    lines = [
        "set -eEuo pipefail",
        "shopt -s expand_aliases",
        # curl as README writes it, failing on an HTTP error.
        'curl() { command curl -sS --fail-with-body --max-time 30 "$@"; echo; }',
        "stop_all() { for p in $(cat \"$BG\" 2>/dev/null); do kill -TERM -- \"-$p\" 2>/dev/null || true; done;"
        " for p in $(cat \"$BG\" 2>/dev/null); do while kill -0 -- \"-$p\" 2>/dev/null; do sleep 0.2; done; done; : > \"$BG\"; }",
        "trap stop_all EXIT",
        # A background command: its own process group, its log, and the port it opens.
        "background() { local name=$1 port=$2; shift 2; setsid bash -c \"$*\" > \"$LOGS/$name.log\" 2>&1 & local pid=$!; echo $pid >> \"$BG\";"
        " for _ in $(seq 1 3000); do if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then return 0; fi;"
        " if ! kill -0 $pid 2>/dev/null; then echo \"$name stopped before opening port $port:\"; cat \"$LOGS/$name.log\"; return 1; fi; sleep 0.2; done;"
        " echo \"$name did not open port $port:\"; cat \"$LOGS/$name.log\"; return 1; }",
    ]
    for i, cmd in enumerate(commands):
        cmd = (
            cmd.replace("127.0.0.1:8080", f"127.0.0.1:{serve_port}")
            .replace("127.0.0.1:8090", f"127.0.0.1:{graph_port}")
            .replace("127.0.0.1:8070", f"127.0.0.1:{bot_port}")
        )
        shown = cmd.replace("'", "'\\''")
        lines.append(f"echo '$ {shown}'")
        if cmd.startswith("make run"):
            lines.append(f"background serve {serve_port} {quote(cmd)}")
            lines.append(f"until command curl -sf -o /dev/null http://127.0.0.1:{serve_port}/healthz; do sleep 0.2; done")
        elif cmd.startswith("make fake-graph"):
            lines.append(f"background fake-graph {graph_port} {quote(cmd)}")
        elif cmd.startswith("make sample-bot"):
            lines.append(f"background sample-bot {bot_port} {quote(cmd)}")
        else:
            if cmd.startswith("make reset"):
                lines.append("stop_all")
            # In this shell (an export or alias holds for what follows),
            # its output kept for EXPECT and shown.
            out = f'"$LOGS/{i}.out"'
            lines.append(f"if ! {{ {cmd.split('  #')[0].rstrip()} ; }} > {out} 2>&1; then cat {out}; exit 1; fi; cat {out}")
    return "\n".join(lines) + "\n"


def quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def main():
    text = README.read_text()
    leaving = outside_paths(text)
    if leaving:
        sys.exit(f"README points outside the repository: {', '.join(leaving)}")
    commands = blocks(text)
    for prefix, _, _ in EXPECT:
        if not any(c.startswith(prefix) for c in commands):
            sys.exit(f"README's quick start no longer has {prefix!r}: update EXPECT in {__file__}")
    serve_port, graph_port, bot_port = free_ports(3)
    work = Path(tempfile.mkdtemp(prefix="switchboard-readme-"))
    logs = work / "logs"
    logs.mkdir()
    env = dict(os.environ)
    env.update(
        DATA_DIR=str(work / "data"),
        SWITCHBOARD_DATA_DIR=str(work / "data"),
        ADDR=f"127.0.0.1:{serve_port}",
        FAKE_GRAPH_ADDR=f"127.0.0.1:{graph_port}",
        SAMPLE_BOT_ADDR=f"127.0.0.1:{bot_port}",
        SWITCHBOARD_URL=f"http://127.0.0.1:{serve_port}",
        LOGS=str(logs),
        BG=str(work / "background"),
        SWITCHBOARD_LOG="warn",
    )
    # What a newcomer's shell would not have.
    for k in ("SWITCHBOARD_ADMIN_TOKEN", "SWITCHBOARD_AGENT_TOKEN", "SWITCHBOARD_APP_SECRET"):
        env.pop(k, None)
    path = work / "quickstart.sh"
    path.write_text(script(commands, serve_port, graph_port, bot_port))
    print(f"README quick start: {len(commands)} commands (serve :{serve_port}, fake Graph :{graph_port})", flush=True)
    run = subprocess.run(["bash", str(path)], cwd=ROOT, env=env)
    if run.returncode != 0:
        for log in sorted(logs.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text()[-4000:]}")
        sys.exit(f"README's quick start failed (exit {run.returncode}); the script is {path}")
    problems = []
    for prefix, nth, want in EXPECT:
        # In README order: the outputs of the commands with this prefix.
        ordered = [
            (logs / f"{i}.out").read_text()
            for i, c in enumerate(commands)
            if c.startswith(prefix) and (logs / f"{i}.out").exists()
        ]
        if len(ordered) < nth or want not in ordered[nth - 1]:
            got = ordered[nth - 1] if len(ordered) >= nth else "(not run)"
            problems.append(f"{prefix!r} (#{nth}) should print {want!r}; it printed:\n{got}")
    if problems:
        sys.exit("README's quick start ran, but:\n" + "\n".join(problems))
    shutil.rmtree(work, ignore_errors=True)
    print("README quick start: every command worked as written")


if __name__ == "__main__":
    main()
