#!/usr/bin/env python3
"""Writes the C++ sources of a large Windows module for PDB benchmarks (BENCHMARKS.md, "Large PDBs").

Usage: gen-big-pdb.py OUT_DIR FUNCTIONS MODULES [WEIGHT]

FUNCTIONS functions spread over MODULES translation units (each one a PDB module stream). Every
function has its own struct type (type records), several source lines (C13 line records), a
forced-inline helper (an inline site) and WEIGHT extra locals (S_LOCAL/S_DEFRANGE records), so
the PDB grows with FUNCTIONS x WEIGHT the way a big driver's or browser's does: many modules,
long C++ names, lines and inlines for every function. scripts/bench-big-pdb.sh compiles them with
clang-cl /Z7 and links with lld-link /DEBUG.
"""
import os
import sys


def function_source(module: int, index: int, weight: int) -> str:
    tag = f"{module}_{index}"
    fields = "".join(f"  long long v{k};\n" for k in range(weight))
    body = "".join(
        f"  long long t{k} = s->v{k} * (x + {k});\n  if (t{k} & {1 << (k % 7)}) s->c += (double)t{k};\n"
        for k in range(weight)
    )
    return f"""
struct Record{tag} {{
  int a;
  long long b;
  double c;
{fields}}};
static __forceinline int mix{tag}(int x) {{
  int y = x * {31 + index % 97} + {index % 13};
  return y ^ (y >> 3);
}}
__declspec(noinline) int process{index}(int x, Record{tag}* s) {{
  int y = mix{tag}(x);
  if (y & 1) {{
    s->a += y;
  }} else {{
    s->b -= y;
  }}
{body}  for (int i = 0; i < (x & 7); ++i) {{
    s->c += i * y;
  }}
  return s->a + (int)s->b;
}}
"""


def main() -> None:
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    out, functions, modules = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    weight = int(sys.argv[4]) if len(sys.argv) == 5 else 0
    if functions < 1 or modules < 1 or weight < 0:
        sys.exit("FUNCTIONS and MODULES must be positive, WEIGHT not negative")
    os.makedirs(out, exist_ok=True)
    per_module = (functions + modules - 1) // modules
    for module in range(modules):
        first = module * per_module
        last = min(functions, first + per_module)
        if first >= last:
            break
        with open(os.path.join(out, f"m{module}.cpp"), "w") as source:
            if module == 0:
                # What the CRT defines for code that uses floating point; no CRT is linked.
                source.write('extern "C" int _fltused = 0;\n')
            source.write(f"namespace bigpdb {{\nnamespace unit{module} {{\n")
            for index in range(first, last):
                source.write(function_source(module, index, weight))
            source.write("}  // namespace\n}  // namespace\n")


if __name__ == "__main__":
    main()
