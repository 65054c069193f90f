#!/usr/bin/env python3
"""Rewrites the README's option tables (between "<!-- options: CMD (dnntrain CMD --help-markdown) -->"
and "<!-- end options -->") with each command's --help-markdown output, so they follow the option
declarations (apps/option_table.hpp); tests/apps/options_test.cpp fails while they differ.

usage: scripts/readme_options.py [build/apps/dnntrain]"""
import os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
exe = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "apps", "dnntrain")
path = os.path.join(ROOT, "README.md")
text = open(path, encoding="utf-8").read()


def table(match):
    command = match.group(1)
    out = subprocess.run([exe, command, "--help-markdown"], check=True, capture_output=True, text=True).stdout
    return match.group(0)[: match.end(2) - match.start(0)] + out + "<!-- end options -->"


text, n = re.subn(r"<!-- options: (\w+) \(dnntrain \w+ --help-markdown\) -->(\n)(.*?)<!-- end options -->", table,
                  text, flags=re.S)
open(path, "w", encoding="utf-8").write(text)
print(f"rewrote {n} option tables in {path}")
