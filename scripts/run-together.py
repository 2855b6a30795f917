#!/usr/bin/env python3
"""Runs commands at the same time (each argument one command line, split as a shell would, run
without a shell) and reports, as JSON: the wall time; each command's peak RSS (ru_maxrss from
wait4: the largest single process of its tree); the peak of the summed RSS of every process of
all their trees (workers included), sampled from /proc every 20 ms; and the largest RSS any one
process reached in those samples. Used by scripts/bench-big-pdb.sh: two processes, or a pipeline
with two worker processes, meeting two big PDBs."""
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


def tree(roots):
    """The roots and all their descendants, from /proc/*/stat parent links."""
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as stat:
                    # The command name may hold spaces: the parent follows the last ')'.
                    parents[int(name)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    found, frontier = set(roots), list(roots)
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in found:
                found.add(child)
                frontier.append(child)
    return found


start = time.monotonic()
procs = [subprocess.Popen(shlex.split(cmd), stdout=subprocess.DEVNULL) for cmd in sys.argv[1:]]
peaks, codes, left, most, largest = {}, {}, {p.pid for p in procs}, 0, 0
while left:
    sizes = [rss_kib(pid) for pid in tree(left)]
    most = max(most, sum(sizes))
    largest = max([largest] + sizes)
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
    "largest_process_mb": largest // 1024,
    "exit": [codes[p.pid] for p in procs],
}))
