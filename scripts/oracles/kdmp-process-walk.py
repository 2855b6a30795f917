#!/usr/bin/env python3
"""kdmp-process-walk.py DUMP MACHINE BUILD -- a second reader of a kernel dump's process list.

Walks PsActiveProcessHead (from the dump header, as kdmp-parser reads it) through
EPROCESS.ActiveProcessLinks and each process's KPROCESS.ThreadListHead / KTHREAD.ThreadListEntry,
reading memory only through PyPI kdmp-parser's page-table translation, with the offsets of
docs/kernel-offsets/offsets.json for MACHINE (x64) and BUILD. It shares no code with crashsift's
reader (KernelProcessList), which the tests compare with it. Prints one JSON object:
{"processes": [{"address", "pid", "ppid", "name", "create_time", "threads": [{"address", "pid",
"tid", "state", "wait_reason"}]}], "stopped": reason or null}. Run it with the oracle venv's
python (../shared/oracles/install.sh).
"""
import json
import os
import struct
import sys

import kdmp_parser  # noqa: E402  (the oracle venv)

LIMIT = 100000


def offsets(machine, build):
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    rows = json.load(open(os.path.join(root, "docs", "kernel-offsets", "offsets.json")))
    found = {}
    for row in rows:
        if row["machine"] == machine and row["build_min"] <= build <= row["build_max"] \
                and row["confidence"] != "inferred":
            found[row["field"]] = int(row["offset"], 16)
    return found


class Memory:
    def __init__(self, path):
        self.dump = kdmp_parser.KernelDumpParser(path)

    def read(self, va, size):
        out = bytearray()
        cur = va
        while len(out) < size:
            page_va = cur & ~0xFFF
            data = self.dump.read_virtual_page(page_va, 0)
            if data is None:
                raise KeyError("0x%x not present" % cur)
            off = cur - page_va
            take = min(size - len(out), 0x1000 - off)
            out.extend(bytes(data[off:off + take]))
            cur += take
        return bytes(out)

    def u64(self, va):
        return struct.unpack("<Q", self.read(va, 8))[0]

    def u8(self, va):
        return self.read(va, 1)[0]


def main():
    path, machine, build = sys.argv[1], sys.argv[2], int(sys.argv[3])
    o = offsets(machine, build)
    memory = Memory(path)
    with open(path, "rb") as f:
        header = f.read(0x30)
    head = struct.unpack_from("<Q", header, 0x28)[0]
    processes = []
    stopped = None
    seen = {head}
    try:
        link = memory.u64(head)
        while link != head and len(processes) < LIMIT:
            if link in seen:
                stopped = "loop"
                break
            seen.add(link)
            eprocess = link - o["EPROCESS.ActiveProcessLinks"]
            name = memory.read(eprocess + o["EPROCESS.ImageFileName"], 15).split(b"\0")[0]
            process = {
                "address": eprocess,
                "pid": memory.u64(eprocess + o["EPROCESS.UniqueProcessId"]),
                "ppid": memory.u64(eprocess + o["EPROCESS.InheritedFromUniqueProcessId"]),
                "name": name.decode("ascii", "replace"),
                "create_time": memory.u64(eprocess + o["EPROCESS.CreateTime"]),
                "threads": [],
            }
            thread_head = eprocess + o["KPROCESS.ThreadListHead"]
            thread_link = memory.u64(thread_head)
            thread_seen = {thread_head}
            while thread_link != thread_head and thread_link not in thread_seen:
                thread_seen.add(thread_link)
                ethread = thread_link - o["KTHREAD.ThreadListEntry"]
                cid = ethread + o["ETHREAD.Cid"]
                process["threads"].append({
                    "address": ethread,
                    "pid": memory.u64(cid),
                    "tid": memory.u64(cid + 8),
                    "state": memory.u8(ethread + o["KTHREAD.State"]),
                    "wait_reason": memory.u8(ethread + o["KTHREAD.WaitReason"]),
                })
                thread_link = memory.u64(thread_link)
            processes.append(process)
            link = memory.u64(link)
    except KeyError as error:
        stopped = str(error)
    json.dump({"processes": processes, "stopped": stopped}, sys.stdout)


if __name__ == "__main__":
    main()
