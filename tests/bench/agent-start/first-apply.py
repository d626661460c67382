#!/usr/bin/env python3
"""Starts `appliance-agent run` once and times, from just before exec, its first log line (backend chosen) and the
line that says the state restored from disk is applied. Prints one JSON object; stops the agent (SIGTERM, by pid).
   first-apply.py AGENT STATE_DIR HOSTS_FILE BACKEND"""
import json, os, signal, subprocess, sys, time

agent, state, hosts, backend = sys.argv[1:5]
t0 = time.monotonic_ns()
p = subprocess.Popen([agent, "run", "--state-dir", state, "--hosts-file", hosts, "--backend", backend],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
marks, lines = {}, []
try:
    deadline = time.monotonic() + 30
    for line in p.stdout:
        now = (time.monotonic_ns() - t0) / 1e6
        lines.append(line.rstrip())
        if "WireGuard backend" in line and "banner_ms" not in marks:
            marks["banner_ms"] = round(now, 1)
        if "restored from local state" in line:
            marks["first_apply_ms"] = round(now, 1)
            marks["applied"] = line.startswith("applied")
            break
        if time.monotonic() > deadline:
            break
finally:
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
if "first_apply_ms" not in marks or not marks["applied"]:
    sys.stderr.write("no apply from local state:\n" + "\n".join(lines) + "\n")
    sys.exit(1)
print(json.dumps(marks))
