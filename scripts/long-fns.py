#!/usr/bin/env python3
"""List Rust functions longer than N lines and flag those without a reason written beside them.

Usage: python3 scripts/long-fns.py [-n N] PATH...   (files or directories; default N = 80)

A function's length runs from the line of its `fn` keyword to the line of its matching closing
brace. Braces inside strings (plain, byte and raw), char literals and comments are ignored.
A long function is accepted when the comment/attribute block just above it (doc comments,
`#[...]` attributes and plain comments, contiguous with the `fn` line) holds a line
`// long: <reason>`. Prints one line per long function; exits 1 when any lacks a reason.
"""

import argparse
import os
import re
import sys

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def code_tokens(text):
    """Yields (offset, token) for identifiers and the punctuation `{ } ( ) [ ] ;` outside
    comments, strings and char literals."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "/" and text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif c == "/" and text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c in "rb" and re.match(r"(br|r)#*\"", text[i:i + 300]) and not _ident_before(text, i):
            m = re.match(r"(br|r)(#*)\"", text[i:])
            close = '"' + m.group(2)
            j = text.find(close, i + m.end())
            i = n if j < 0 else j + len(close)
        elif c == '"' or (c == "b" and text.startswith('b"', i) and not _ident_before(text, i)):
            i = text.index('"', i) + 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
        elif c == "'":
            # A char literal ('x', '\n', '\u{1F600}', '{') or a lifetime / label ('a).
            m = re.match(r"'(\\(u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|.)|[^\\'\n])'", text[i:i + 16])
            i += m.end() if m else 1
        elif c.isalpha() or c == "_":
            m = IDENT.match(text, i)
            yield i, m.group(0)
            i = m.end()
        elif c in "{}()[];":
            yield i, c
            i += 1
        else:
            i += 1


def _ident_before(text, i):
    return i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")


def functions(text):
    """Yields (fn_offset, name, end_offset) for every function with a body."""
    toks = list(code_tokens(text))
    for k, (off, tok) in enumerate(toks):
        if tok != "fn" or k + 1 >= len(toks) or not IDENT.fullmatch(toks[k + 1][1]):
            continue  # `fn(..)` pointer types have no name
        name = toks[k + 1][1]
        depth, j = 0, k + 2
        while j < len(toks):
            t = toks[j][1]
            if t in "([":
                depth += 1
            elif t in ")]":
                depth -= 1
            elif depth == 0 and t in ";{":
                break
            j += 1
        if j >= len(toks) or toks[j][1] == ";":
            continue  # a declaration without a body
        braces = 0
        while j < len(toks):
            t = toks[j][1]
            if t == "{":
                braces += 1
            elif t == "}":
                braces -= 1
                if braces == 0:
                    break
            j += 1
        if j < len(toks):
            yield off, name, toks[j][0]


def reason(lines, fn_line):
    """The `// long:` reason in the comment/attribute block just above line `fn_line` (0-based)."""
    i = fn_line - 1
    while i >= 0:
        s = lines[i].strip()
        if s.startswith("// long:"):
            return s[len("// long:"):].strip()
        if not (s.startswith("//") or s.startswith("#[") or s.startswith("#![") or s in (")]", "]")
                or (s and lines[i].startswith(" ") and _inside_attribute(lines, i))):
            return None
        i -= 1
    return None


def _inside_attribute(lines, i):
    """Whether line `i` continues a multi-line `#[...]` attribute that starts above it."""
    j = i
    while j >= 0 and not lines[j].strip().startswith("#["):
        if not lines[j].strip() or lines[j].rstrip().endswith((";", "{", "}")):
            return False
        j -= 1
    return j >= 0


def rust_files(paths):
    for p in paths:
        if os.path.isfile(p):
            yield p
        for root, dirs, files in os.walk(p):
            dirs[:] = sorted(d for d in dirs if d not in ("target", ".git"))
            for f in sorted(files):
                if f.endswith(".rs"):
                    yield os.path.join(root, f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--max", type=int, default=80, help="longest length allowed without a reason (default 80)")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    missing = 0
    for path in rust_files(args.paths):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        lines = text.split("\n")
        for start, name, end in functions(text):
            first = text.count("\n", 0, start)
            length = text.count("\n", start, end) + 1
            if length <= args.max:
                continue
            why = reason(lines, first)
            if why is None:
                missing += 1
                print(f"{path}:{first + 1}: fn {name}: {length} lines, no `// long:` reason")
            else:
                print(f"{path}:{first + 1}: fn {name}: {length} lines (long: {why})")
    if missing:
        print(f"{missing} function(s) over {args.max} lines without a reason", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
