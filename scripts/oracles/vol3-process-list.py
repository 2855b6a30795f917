#!/usr/bin/env python3
"""vol3-process-list.py DUMP PDB KERNEL_BASE PS_ACTIVE_PROCESS_HEAD WORKDIR [OB_TYPE_INDEX_TABLE OB_HEADER_COOKIE]

volatility3's windows.pslist, windows.threads and (given the addresses of nt!ObTypeIndexTable and
nt!ObHeaderCookie) windows.handles over a Windows kernel crash dump, as an independent reader of
its process and thread lists and of each process's handle table. volatility3 reads the crash dump format, walks
the page tables and the lists with its own code; the structure layout is volatility3's symbol file
(ISF) made from PDB by volatility3's own converter (pdbconv). Run it with the test venv's python
(scripts/test-requirements.txt pins volatility3).

crashsift's synthetic dumps do not carry what volatility3's automatic discovery looks for (a
self-referencing PML4 in its scanned ranges, KUSER_SHARED_DATA, the kernel image with its RSDS
record; docs/kernel-offsets/volatility3.md), so the kernel layer is configured directly: the
header's DirectoryTableBase, KERNEL_BASE, and the ISF. The ISF made from the fixture PDB is
completed the way volatility3's Windows kernel symbols demand: the PsActiveProcessHead symbol
(the dump's, relative to KERNEL_BASE), CreateTime as _LARGE_INTEGER, and placeholder entries for
types and fields volatility3 requires but crashsift neither writes nor reads (listed below; their
offsets land in zeroed memory of the synthetic structures).

Prints one JSON object: {"processes": [{"offset", "pid", "ppid", "name", "session"}], "threads": [{"offset",
"pid", "tid"}], "handles": [{"pid", "handle", "type", "object", "access"}]}; offsets as volatility3
prints them (48-bit, not sign-extended). windows.handles walks each table itself (TableCode levels,
HANDLE_TABLE_ENTRY.ObjectPointerBits) and keeps an entry only when the object header it leads to
has a type it can name, so "handles" holds only real handles.
"""
import json
import os
import struct
import subprocess
import sys

# Types volatility3's WindowsKernelIntermedSymbols requires to exist (names only matter here).
REQUIRED_TYPES = (
    "_ERESOURCE _UNICODE_STRING _EX_FAST_REF _TOKEN _OBJECT_HEADER _FILE_OBJECT _DEVICE_OBJECT "
    "_CM_KEY_BODY _CMHIVE _CM_KEY_NODE _CM_KEY_VALUE _HMAP_ENTRY _MMVAD_SHORT _MMVAD _KSYSTEM_TIME "
    "_KMUTANT _DRIVER_OBJECT _OBJECT_SYMBOLIC_LINK _CONTROL_AREA _SHARED_CACHE_MAP _VACB "
    "_POOL_TRACKER_BIG_PAGES _IMAGE_DOS_HEADER _KTIMER _LDR_DATA_TABLE_ENTRY"
).split()


def isf(pdb, work, kernel_base, head, symbols):
    out = os.path.join(work, "kernel.json")
    subprocess.run(
        [sys.executable, "-m", "volatility3.framework.symbols.windows.pdbconv", "-f", pdb,
         "-o", out], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    j = json.load(open(out))
    j["symbols"]["PsActiveProcessHead"] = {"address": head - kernel_base}
    for name, address in symbols.items():
        j["symbols"][name] = {"address": address - kernel_base}
    for name in REQUIRED_TYPES:
        j["user_types"].setdefault(name, {"kind": "struct", "size": 8, "fields": {}})
    j["base_types"]["long long"] = {"kind": "int", "size": 8, "signed": True, "endian": "little"}
    # windows.handles reads ObHeaderCookie as an "unsigned int", a name MSVC's records never use.
    j["base_types"]["unsigned int"] = {"kind": "int", "size": 4, "signed": False, "endian": "little"}
    j["user_types"]["_LARGE_INTEGER"] = {"kind": "union", "size": 8, "fields": {
        "QuadPart": {"offset": 0, "type": {"kind": "base", "name": "long long"}}}}
    large = {"kind": "union", "name": "_LARGE_INTEGER"}
    eprocess = j["user_types"]["_EPROCESS"]["fields"]
    ethread = j["user_types"]["_ETHREAD"]["fields"]
    eprocess["CreateTime"]["type"] = large
    ethread["CreateTime"]["type"] = large
    # Placeholders: fields pslist/threads read that the synthetic structures leave zero.
    eprocess["ExitTime"] = {"offset": 0x600, "type": large}
    eprocess["ActiveThreads"] = {"offset": 0x5F0, "type": {"kind": "base", "name": "unsigned long"}}
    ethread["ExitTime"] = {"offset": 0x438, "type": large}
    j["user_types"]["_KTHREAD"]["fields"]["Process"] = {
        "offset": 0x220, "type": {"kind": "pointer", "subtype": {"kind": "struct", "name": "_KPROCESS"}}}
    json.dump(j, open(out, "w"))
    return out


def run(plugin, config, work):
    vol = os.path.join(os.path.dirname(sys.executable), "vol")
    cache = os.path.join(work, "cache")
    os.makedirs(cache, exist_ok=True)
    result = subprocess.run(
        [vol, "-q", "--offline", "--cache-path", cache, "-c", config,
         "-r", "json", plugin], check=True, capture_output=True, text=True)
    return json.loads(result.stdout)


def main():
    dump, pdb, kernel_base, head, work = sys.argv[1], sys.argv[2], int(sys.argv[3], 0), \
        int(sys.argv[4], 0), sys.argv[5]
    symbols = {}
    if len(sys.argv) > 7:
        symbols = {"ObTypeIndexTable": int(sys.argv[6], 0), "ObHeaderCookie": int(sys.argv[7], 0)}
    os.makedirs(work, exist_ok=True)
    with open(dump, "rb") as f:
        header = f.read(0x20)
    dtb = struct.unpack_from("<Q", header, 0x10)[0]
    config = os.path.join(work, "config.json")
    json.dump({
        "kernel.class": "volatility3.framework.contexts.Module",
        "kernel.offset": kernel_base,
        "kernel.layer_name.class": "volatility3.framework.layers.intel.WindowsIntel32e",
        "kernel.layer_name.page_map_offset": dtb,
        "kernel.layer_name.kernel_virtual_offset": kernel_base,
        "kernel.layer_name.memory_layer.class":
            "volatility3.framework.layers.crash.WindowsCrashDump64Layer",
        "kernel.layer_name.memory_layer.base_layer.class":
            "volatility3.framework.layers.physical.FileLayer",
        "kernel.layer_name.memory_layer.base_layer.location": "file://" + os.path.abspath(dump),
        "kernel.symbol_table_name.class":
            "volatility3.framework.symbols.windows.WindowsKernelIntermedSymbols",
        "kernel.symbol_table_name.isf_url": "file://" + isf(pdb, work, kernel_base, head, symbols),
    }, open(config, "w"))
    processes = [{"offset": row["Offset(V)"], "pid": row["PID"], "ppid": row["PPID"],
                  "name": row["ImageFileName"], "session": row.get("SessionId")}
                 for row in run("windows.pslist", config, work)]
    threads = [{"offset": row["Offset"], "pid": row["PID"], "tid": row["TID"]}
               for row in run("windows.threads", config, work)]
    handles = []
    if symbols:
        handles = [{"pid": row["PID"], "handle": row["HandleValue"], "type": row["Type"],
                    "object": row["Offset"], "access": row["GrantedAccess"]}
                   for row in run("windows.handles", config, work)]
    json.dump({"processes": processes, "threads": threads, "handles": handles}, sys.stdout)


if __name__ == "__main__":
    main()
