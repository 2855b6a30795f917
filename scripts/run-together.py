#!/usr/bin/env python3
"""Runs commands at the same time (each argument one command line, split as a shell would, run without a shell) and reports, as JSON, the
wall time, each process's peak RSS (ru_maxrss from wait4) and the peak of their summed RSS
(sampled from /proc every 20 ms) — how much memory two workers take together. Used by
scripts/bench-big-pdb.sh for two processes meeting two big PDBs."""
import json, os, shlex, subprocess, sys, time

def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

start = time.monotonic()
procs = [subprocess.Popen(shlex.split(cmd), stdout=subprocess.DEVNULL) for cmd in sys.argv[1:]]
peaks, codes, left, most = {}, {}, {p.pid for p in procs}, 0
while left:
    most = max(most, sum(rss_kib(pid) for pid in left))
    for pid in list(left):
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            peaks[pid], codes[pid] = usage.ru_maxrss, os.waitstatus_to_exitcode(status)
            left.discard(pid)
    time.sleep(0.02)
print(json.dumps({
    "seconds": round(time.monotonic() - start, 2),
    "peak_mb": [peaks[p.pid] // 1024 for p in procs],
    "sum_peak_mb": most // 1024,
    "exit": [codes[p.pid] for p in procs],
}))
