#!/usr/bin/env python3
"""Breaks one process's resident memory down from /proc/PID/smaps (docs/BENCHMARKS.md "Agent memory").

    smaps.py PID BINARY_DIR BUILD SECONDS [EXTRA_JSON]

Prints one JSON line, sizes in MB (Rss of each mapping):
  binary_mb     file-backed mappings of files in BINARY_DIR (the AOT binary; for the JIT build the apphost, the
                runtime's .so files and the framework and agent assemblies)
  libs_mb       other file-backed mappings, and libs: the same per library (libcrypto, libssl, libc, ...)
  anon_mb       everything not file-backed, split into
    binary_data_mb  the binary's .bss and, for NativeAOT, its .hydrated data (anonymous, right after its file mappings)
    gc_heap_mb      the GC's reservation: an anonymous range of GC_RANGE_MIN or more that is not a malloc arena (the GC
                    reserves its region range and bookkeeping at start and commits inside it)
    native_heap_mb  malloc: [heap] (the main arena) and the 64 MB-aligned thread arenas glibc maps
    stacks_mb       [stack] and thread stacks (an anonymous range right after a PROT_NONE guard page, not in the above)
    jit_code_mb     executable anonymous mappings and the W^X double mapping (memfd:doublemapper), JIT build only
    other_anon_mb   the rest (runtime bookkeeping, OpenSSL and other native allocations made with mmap)
  wx_double_mapped  whether any memfd:doublemapper mapping exists (W^X on)
  threads           the process's thread count (each thread's touched stack pages are in stacks_mb)
"""
import json
import re
import sys

ARENA = 64 << 20          # glibc HEAP_MAX_SIZE on 64-bit: thread arenas are 64 MB-aligned 64 MB reservations
GC_RANGE_MIN = 256 << 20  # the GC reserves at least 256 MB of address space for its regions


def mappings(pid):
    cur = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$", line)
            if m:
                if cur:
                    yield cur
                cur = {"start": int(m[1], 16), "end": int(m[2], 16), "perms": m[3], "path": m[4].strip(), "rss": 0}
            elif line.startswith("Rss:"):
                cur["rss"] = int(line.split()[1]) * 1024
    if cur:
        yield cur


def main():
    pid, bindir, build, seconds = sys.argv[1], sys.argv[2].rstrip("/") + "/", sys.argv[3], int(sys.argv[4])
    extra = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
    maps = list(mappings(pid))
    mb = lambda b: round(b / 1048576, 1)
    out = {"binary": 0, "libs": 0, "binary_data": 0, "gc_heap": 0, "native_heap": 0, "stacks": 0, "jit_code": 0, "other_anon": 0}
    libs = {}
    anon = [m for m in maps if not m["path"].startswith("/") and m["path"] != "[vdso]" and m["path"] != "[vvar]"]
    plain = sorted((m for m in anon if m["path"] == ""), key=lambda m: m["start"])
    # A malloc thread arena: a 64 MB-aligned reservation, used from its start (rw-p) with the rest PROT_NONE; arenas
    # are often adjacent, so they are found one by one before anything else is grouped.
    kind = {}
    # The binary's .bss (for NativeAOT also its .hydrated data, 2.2 MB written at start) right after its file mappings.
    ends = {m["end"] for m in maps if m["path"].startswith(bindir)}
    for m in plain:
        if m["start"] in ends:
            kind[m["start"]] = "binary_data"
    for i, m in enumerate(plain):
        if m["start"] % ARENA == 0 and m["perms"].startswith("rw"):
            n = plain[i + 1] if i + 1 < len(plain) else None
            if m["end"] - m["start"] == ARENA or (n and n["start"] == m["end"] and n["perms"] == "---p" and n["end"] == m["start"] + ARENA):
                kind[m["start"]] = "native_heap"
                if n and n["end"] == m["start"] + ARENA:
                    kind[n["start"]] = "native_heap"
    # Contiguous anonymous ranges (mprotect splits one reservation into several mappings).
    blocks, block = [], []
    for m in (m for m in plain if m["start"] not in kind):
        if block and block[-1]["end"] != m["start"]:
            blocks.append(block)
            block = []
        block.append(m)
    if block:
        blocks.append(block)
    for b in blocks:
        size = b[-1]["end"] - b[0]["start"]
        if any("x" in m["perms"] for m in b):
            k = "jit_code"
        elif size >= GC_RANGE_MIN:
            k = "gc_heap"
        elif len(b) >= 2 and b[0]["perms"] == "---p" and b[0]["end"] - b[0]["start"] <= 64 << 10 and b[1]["perms"].startswith("rw"):
            k = "stacks"
        else:
            k = "other_anon"
        for m in b:
            kind[m["start"]] = k
    wx = False
    for m in maps:
        p = m["path"]
        if p.startswith("/") and not p.startswith("/memfd:"):
            if p.startswith(bindir):
                out["binary"] += m["rss"]
            else:
                out["libs"] += m["rss"]
                name = p.rsplit("/", 1)[-1]
                libs[name] = libs.get(name, 0) + m["rss"]
        elif "doublemapper" in p:
            wx = True
            out["jit_code"] += m["rss"]
        elif p == "[heap]":
            out["native_heap"] += m["rss"]
        elif p == "[stack]":
            out["stacks"] += m["rss"]
        elif p in ("[vdso]", "[vvar]", "[vsyscall]"):
            continue
        elif p == "":
            out[kind[m["start"]]] += m["rss"]
        else:
            out["other_anon"] += m["rss"]
    status = {l.split(":")[0]: int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith(("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem", "Threads"))}
    anon_total = sum(out[k] for k in ("binary_data", "gc_heap", "native_heap", "stacks", "jit_code", "other_anon"))
    line = {"bench": "agent/rss", "build": build, "seconds": seconds, **extra,
            "rss_mb": mb(status["VmRSS"] * 1024), "peak_rss_mb": mb(status["VmHWM"] * 1024),
            "anon_mb": mb(status["RssAnon"] * 1024), "file_mb": mb(status["RssFile"] * 1024),
            "binary_mb": mb(out["binary"]), "libs_mb": mb(out["libs"]),
            "binary_data_mb": mb(out["binary_data"]), "gc_heap_mb": mb(out["gc_heap"]), "native_heap_mb": mb(out["native_heap"]), "stacks_mb": mb(out["stacks"]),
            "jit_code_mb": mb(out["jit_code"]), "other_anon_mb": mb(out["other_anon"]), "smaps_anon_mb": mb(anon_total),
            "wx_double_mapped": wx, "threads": status["Threads"],
            "libs": {k: mb(v) for k, v in sorted(libs.items(), key=lambda kv: -kv[1]) if v >= 65536}}
    print(json.dumps(line, separators=(",", ":")))


main()
