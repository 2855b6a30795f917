#!/usr/bin/env python3
"""Counts the addresses crashsift and llvm-symbolizer resolve to the same frames.

Usage: compare-symbolizer.py OURS THEIRS  → prints "SAME TOTAL THEIRS_TOTAL"

OURS: `crashsift-bench sym-resolve` output, one line per address: `name+0xoff<TAB>file:line`
then `<TAB>inlinee<TAB>file:line` per inline frame, innermost first. THEIRS: the oracle's
`symbolize.sh` JSON lines. Names are compared bare (llvm prints a public's signature); llvm lists
frames innermost first, ours the outer function first, then its inlinees innermost first.
"""
import json
import sys

ours = open(sys.argv[1]).read().splitlines()
theirs = [json.loads(line) for line in open(sys.argv[2])]
same = 0
for mine, answer in zip(ours, theirs):
    frames = [f'{f["FunctionName"].split("(")[0]} {f["FileName"] or "??"}:{f["Line"]}' for f in answer["Symbol"]]
    fields = mine.split("\t")
    outer = f'{fields[0].rsplit("+0x", 1)[0]} {fields[1] if len(fields) > 1 else ""}'
    inner = [f"{fields[i]} {fields[i + 1]}" for i in range(2, len(fields) - 1, 2)]
    same += inner + [outer] == frames
print(same, len(ours), len(theirs))
