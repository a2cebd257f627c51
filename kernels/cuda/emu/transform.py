#!/usr/bin/env python3
"""Rewrites CUDA launches for the CPU emulator: `k<T><<<cfg>>>(args)` becomes
`::emu::launch(::emu::cfg(cfg), k<T>, args)`.   transform.py in.cu out.cpp"""
import re
import sys

src = open(sys.argv[1]).read()
pat = re.compile(r"([A-Za-z_][\w:]*(?:<[^<>();]*>)?)\s*<<<(.*?)>>>\s*\(", re.S)


def sub(m):
    rest = src[m.end():].lstrip()
    sep = "" if rest.startswith(")") else ", "
    return f"::emu::launch(::emu::cfg({m.group(2)}), {m.group(1)}{sep}"


out = pat.sub(sub, src)
if "<<<" in out:
    sys.exit(f"{sys.argv[1]}: a launch was not rewritten")
with open(sys.argv[2], "w") as f:
    f.write(f'#line 1 "{sys.argv[1]}"\n' + out)
