#!/usr/bin/env python3
"""Make a mutated copy of the googleapis corpus for `breaking` benchmarks.

Copies the include root (default bench/.cache/googleapis) to
bench/.cache/googleapis-mutated and applies N (default 300) realistic
mutations, breaking and non-breaking, to files outside google/protobuf/.
At most one mutation is applied per file, so every mutation can be undone by
restoring that one file.

Every mutated file must still compile: rounds compile the mutated files and
everything that imports them (protoc stops at the first failing file, so a
round finds one culprit), undo the culprit and replace it by a mutation of
the same kind in a fresh file; the final round compiles the whole mutated
tree in one protoc invocation (every target file).

A manifest of what was changed where is written to
bench/.cache/mutations.json.

Python 3 stdlib only. Deterministic: same corpus + same --seed + same --count
=> byte-identical output tree and manifest.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

BENCH_DIR = Path(__file__).resolve().parent
CACHE = BENCH_DIR / ".cache"

# --------------------------------------------------------------------------
# A small, tolerant .proto tokenizer / parser. It only understands what is
# needed to locate declarations (with byte spans) in googleapis-style files;
# it is not a validating parser (protoc does the validation afterwards).
# --------------------------------------------------------------------------

TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<lcomment>//[^\n]*)
  | (?P<bcomment>/\*.*?\*/)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<ident>\.?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<number>-?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?))
  | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass
class Tok:
    kind: str
    text: str
    start: int
    end: int


def tokenize(src: str) -> list[Tok]:
    toks = []
    for m in TOKEN_RE.finditer(src):
        kind = m.lastgroup
        if kind in ("ws", "lcomment", "bcomment"):
            continue
        toks.append(Tok(kind, m.group(), m.start(), m.end()))
    return toks


SCALARS = [
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32",
    "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string",
    "bytes",
]
# Realistic type changes first (what people actually do), random fallback.
TYPE_CHANGES = {
    "int32": ["int64", "uint32", "string"],
    "int64": ["string", "int32", "uint64"],
    "uint32": ["uint64", "int32"],
    "uint64": ["int64", "string"],
    "string": ["bytes", "int64"],
    "bytes": ["string"],
    "bool": ["int32", "string"],
    "double": ["float", "int64"],
    "float": ["double"],
    "fixed64": ["uint64"],
    "fixed32": ["uint32"],
    "sint32": ["int32"],
    "sint64": ["int64"],
    "sfixed32": ["int32"],
    "sfixed64": ["int64"],
}


@dataclass
class Stmt:
    start: int  # byte offset of first token
    end: int  # byte offset after the terminating ';' or '}'


@dataclass
class Field:
    name: str
    number: int
    type: str
    label: Optional[str]
    stmt: Stmt
    label_tok: Optional[Tok]
    type_tok: Tok
    name_tok: Tok
    num_tok: Tok
    opts_open: Optional[Tok]  # the '[' token
    opts_text: str
    is_map: bool
    oneof: Optional[str]
    parent: "Message"

    @property
    def fullname(self):
        return f"{self.parent.fullname}.{self.name}"


@dataclass
class Message:
    name: str
    fullname: str
    stmt: Stmt
    close_tok: Optional[Tok]
    depth: int  # 1 = top-level
    fields: list = field(default_factory=list)
    nested: list = field(default_factory=list)
    enums: list = field(default_factory=list)
    reserved: set = field(default_factory=set)
    indent: str = "  "


@dataclass
class EnumValue:
    name: str
    number: int
    stmt: Stmt
    name_tok: Tok
    index: int


@dataclass
class Enum:
    name: str
    fullname: str
    stmt: Stmt
    close_tok: Optional[Tok]
    values: list = field(default_factory=list)
    reserved: set = field(default_factory=set)


@dataclass
class Rpc:
    name: str
    stmt: Stmt
    req_tok: Tok
    req_stream: bool
    resp_tok: Tok
    resp_stream: bool
    lparen_resp: Tok  # '(' before the response type
    service: "Service"

    @property
    def fullname(self):
        return f"{self.service.fullname}.{self.name}"


@dataclass
class Service:
    name: str
    fullname: str
    stmt: Stmt
    close_tok: Optional[Tok]
    rpcs: list = field(default_factory=list)


@dataclass
class FileOption:
    name: str
    value_tok: Tok
    stmt: Stmt


@dataclass
class ProtoFile:
    path: str
    src: str
    package: str = ""
    messages: list = field(default_factory=list)  # all, any depth
    enums: list = field(default_factory=list)  # all, any depth
    services: list = field(default_factory=list)
    options: list = field(default_factory=list)


class ParseError(Exception):
    pass


class Parser:
    def __init__(self, path: str, src: str):
        self.src = src
        self.toks = tokenize(src)
        self.i = 0
        self.f = ProtoFile(path, src)

    # -- helpers -----------------------------------------------------------
    def peek(self, k=0) -> Optional[Tok]:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def next(self) -> Tok:
        t = self.peek()
        if t is None:
            raise ParseError("unexpected EOF")
        self.i += 1
        return t

    def expect(self, text) -> Tok:
        t = self.next()
        if t.text != text:
            raise ParseError(f"expected {text!r}, got {t.text!r} at {t.start}")
        return t

    def skip_statement(self) -> Tok:
        """Skip to the ';' ending this statement (balanced brackets) or a
        balanced {...} block; returns the last token consumed."""
        depth = 0
        while True:
            t = self.next()
            if t.text in "{[(" and t.kind == "punct":
                depth += 1
            elif t.text in "}])" and t.kind == "punct":
                depth -= 1
                if depth == 0 and t.text == "}":
                    # a block statement like `extend X {...}` or an rpc body
                    nt = self.peek()
                    if nt is not None and nt.text == ";":
                        return self.next()
                    return t
            elif t.text == ";" and depth == 0:
                return t

    def join_type(self, t: Tok) -> Tok:
        """Type names may be split over lines: `foo.bar\n    .Baz`."""
        while self.peek() is not None and self.peek().kind == "ident" \
                and self.peek().text.startswith("."):
            n = self.next()
            t = Tok("ident", t.text + n.text, t.start, n.end)
        return t

    def line_indent(self, off: int) -> str:
        ls = self.src.rfind("\n", 0, off) + 1
        m = re.match(r"[ \t]*", self.src[ls:])
        return m.group() if m else ""

    # -- grammar -----------------------------------------------------------
    def parse(self) -> ProtoFile:
        while self.peek() is not None:
            t = self.peek()
            if t.text == "package":
                self.next()
                self.f.package = self.next().text
                self.expect(";")
            elif t.text == "option":
                self.parse_file_option()
            elif t.text == "message":
                self.parse_message(self.f.package, 1)
            elif t.text == "enum":
                self.parse_enum(self.f.package)
            elif t.text == "service":
                self.parse_service()
            elif t.text == ";":
                self.next()
            else:  # syntax, import, extend, edition, ...
                self.skip_statement()
        return self.f

    def parse_file_option(self):
        start = self.next()  # option
        name_toks = []
        while self.peek().text != "=":
            name_toks.append(self.next().text)
        self.expect("=")
        val = self.peek()
        last = self.skip_statement()
        self.f.options.append(
            FileOption("".join(name_toks), val, Stmt(start.start, last.end))
        )

    def qual(self, scope, name):
        return f"{scope}.{name}" if scope else name

    def parse_message(self, scope, depth) -> Message:
        kw = self.next()
        name = self.next().text
        self.expect("{")
        msg = Message(name, self.qual(scope, name), Stmt(kw.start, -1), None, depth)
        msg.indent = self.line_indent(kw.start) + "  "
        self.f.messages.append(msg)
        self.parse_message_body(msg, None)
        close = self.expect("}")
        msg.close_tok = close
        msg.stmt.end = close.end
        return msg

    def parse_message_body(self, msg: Message, oneof: Optional[str]):
        while True:
            t = self.peek()
            if t is None or t.text == "}":
                return
            if t.text == "message":
                msg.nested.append(self.parse_message(msg.fullname, msg.depth + 1))
            elif t.text == "enum":
                msg.enums.append(self.parse_enum(msg.fullname))
            elif t.text == "oneof" and self.peek(2) is not None and self.peek(2).text == "{":
                self.next()
                oname = self.next().text
                self.expect("{")
                self.parse_message_body(msg, oname)
                self.expect("}")
            elif t.text == "reserved":
                self.next()
                self.parse_reserved(msg.reserved)
            elif t.text in ("option", "extensions", "extend", ";"):
                if t.text == ";":
                    self.next()
                else:
                    self.skip_statement()
            else:
                self.parse_field(msg, oneof)

    def parse_reserved(self, out: set):
        nums = []
        while True:
            t = self.next()
            if t.text == ";":
                break
            nums.append(t)
        k = 0
        while k < len(nums):
            t = nums[k]
            if t.kind == "number":
                lo = int(t.text, 0)
                if k + 2 < len(nums) and nums[k + 1].text == "to":
                    hi_t = nums[k + 2].text
                    hi = 536870911 if hi_t == "max" else int(hi_t, 0)
                    if hi - lo < 100000:
                        out.update(range(lo, hi + 1))
                    else:
                        out.update(range(lo, lo + 100000))
                    k += 3
                    continue
                out.add(lo)
            k += 1

    def parse_field(self, msg: Message, oneof: Optional[str]):
        first = self.peek()
        label_tok = None
        if first.text in ("repeated", "optional", "required"):
            label_tok = self.next()
        t = self.next()
        is_map = False
        if t.text == "map":
            is_map = True
            type_tok = t
            self.expect("<")
            while self.next().text != ">":
                pass
        elif t.text == "group":
            # proto2 group: skip whole thing
            self.i -= 1
            self.skip_statement()
            return
        else:
            type_tok = self.join_type(t)
        name_tok = self.next()
        self.expect("=")
        num_tok = self.next()
        opts_open = None
        opts_text = ""
        nt = self.peek()
        if nt.text == "[":
            opts_open = nt
            last = self.skip_statement()
            opts_text = self.src[nt.start:last.end]
        else:
            last = self.expect(";")
        if name_tok.kind != "ident" or num_tok.kind != "number":
            raise ParseError(f"bad field at {first.start}")
        fld = Field(
            name=name_tok.text,
            number=int(num_tok.text, 0),
            type=type_tok.text if not is_map else "map",
            label=label_tok.text if label_tok else None,
            stmt=Stmt(first.start, last.end),
            label_tok=label_tok,
            type_tok=type_tok,
            name_tok=name_tok,
            num_tok=num_tok,
            opts_open=opts_open,
            opts_text=opts_text,
            is_map=is_map,
            oneof=oneof,
            parent=msg,
        )
        msg.fields.append(fld)

    def parse_enum(self, scope) -> Enum:
        kw = self.next()
        name = self.next().text
        self.expect("{")
        en = Enum(name, self.qual(scope, name), Stmt(kw.start, -1), None)
        self.f.enums.append(en)
        while True:
            t = self.peek()
            if t.text == "}":
                break
            if t.text == "option":
                self.skip_statement()
            elif t.text == "reserved":
                self.next()
                self.parse_reserved(en.reserved)
            elif t.text == ";":
                self.next()
            else:
                name_tok = self.next()
                self.expect("=")
                num_tok = self.next()
                last = self.skip_statement()
                en.values.append(
                    EnumValue(name_tok.text, int(num_tok.text, 0),
                              Stmt(name_tok.start, last.end), name_tok,
                              len(en.values))
                )
        close = self.expect("}")
        en.close_tok = close
        en.stmt.end = close.end
        return en

    def parse_service(self):
        kw = self.next()
        name = self.next().text
        self.expect("{")
        svc = Service(name, self.qual(self.f.package, name), Stmt(kw.start, -1), None)
        self.f.services.append(svc)
        while True:
            t = self.peek()
            if t.text == "}":
                break
            if t.text == "rpc":
                self.next()
                rname = self.next().text
                self.expect("(")
                req_stream = False
                if self.peek().text == "stream" and self.peek(1).text != ")":
                    self.next()
                    req_stream = True
                req = self.join_type(self.next())
                self.expect(")")
                self.expect("returns")
                lp = self.expect("(")
                resp_stream = False
                if self.peek().text == "stream" and self.peek(1).text != ")":
                    self.next()
                    resp_stream = True
                resp = self.join_type(self.next())
                self.expect(")")
                nt = self.peek()
                if nt.text == "{":
                    last = self.skip_statement()
                else:
                    last = self.expect(";")
                svc.rpcs.append(Rpc(rname, Stmt(t.start, last.end), req, req_stream,
                                    resp, resp_stream, lp, svc))
            else:
                self.skip_statement()
        close = self.expect("}")
        svc.close_tok = close
        svc.stmt.end = close.end


def parse_file(path: str, src: str) -> Optional[ProtoFile]:
    try:
        return Parser(path, src).parse()
    except (ParseError, AttributeError, ValueError):
        return None


# --------------------------------------------------------------------------
# Text edit helpers
# --------------------------------------------------------------------------

def line_span(src: str, start: int, end: int, with_comments=True) -> tuple[int, int]:
    """Grow [start, end) to whole lines when the statement is alone on its
    lines, and include the leading // comment block right above it."""
    ls = src.rfind("\n", 0, start) + 1
    if src[ls:start].strip():
        return start, end
    le = src.find("\n", end)
    le = len(src) if le < 0 else le + 1
    rest = src[end:le].strip()
    if rest and not rest.startswith("//"):
        return start, end
    if with_comments:
        while ls > 0:
            pls = src.rfind("\n", 0, ls - 1) + 1
            if src[pls:ls].lstrip().startswith("//"):
                ls = pls
            else:
                break
    return ls, le


def apply_edits(src: str, edits: list[tuple[int, int, str]]) -> str:
    for s, e, r in sorted(edits, key=lambda x: x[0], reverse=True):
        src = src[:s] + r + src[e:]
    return src


def lower_camel(name: str) -> str:
    parts = name.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def lineno(src: str, off: int) -> int:
    return src.count("\n", 0, off) + 1


def used_numbers(msg: Message) -> set:
    return {f.number for f in msg.fields} | msg.reserved


def next_free_number(msg: Message) -> Optional[int]:
    used = used_numbers(msg)
    n = max([f.number for f in msg.fields] + [0]) + 1
    while n in used or 19000 <= n <= 19999:
        n += 1
    return n if n <= 536870911 else None


# --------------------------------------------------------------------------
# Mutations. Each takes (ProtoFile, rng) and returns None (not applicable) or
# (edits, manifest_info). manifest_info has: element, breaking (expectation
# under buf's default FILE rules), rules (buf rule ids expected), detail.
# --------------------------------------------------------------------------

def _plain_fields(pf: ProtoFile, pred=lambda f: True):
    return [f for m in pf.messages for f in m.fields if pred(f)]


def m_delete_field(pf, rng):
    # keep at least one field in a oneof (empty oneofs do not compile)
    def ok(f):
        if f.oneof is None:
            return True
        return sum(1 for g in f.parent.fields if g.oneof == f.oneof) > 1
    cands = _plain_fields(pf, ok)
    if not cands:
        return None
    f = rng.choice(cands)
    s, e = line_span(pf.src, f.stmt.start, f.stmt.end)
    return [(s, e, "")], dict(
        element=f.fullname, breaking=True, rules=["FIELD_NO_DELETE"],
        line=lineno(pf.src, f.stmt.start),
        detail={"field": f.name, "number": f.number, "type": f.type},
    )


def m_delete_field_reserved(pf, rng):
    def ok(f):
        if f.oneof is None:
            return True
        return sum(1 for g in f.parent.fields if g.oneof == f.oneof) > 1
    cands = _plain_fields(pf, ok)
    if not cands:
        return None
    f = rng.choice(cands)
    s, e = line_span(pf.src, f.stmt.start, f.stmt.end)
    ind = re.match(r"[ \t]*", pf.src[s:]).group() if s != f.stmt.start else ""
    if f.oneof is not None:
        # `reserved` is not allowed inside a oneof: put it after the message's
        # opening brace instead and just delete the field.
        m = f.parent
        brace = pf.src.find("{", m.stmt.start)
        ins = f"\n{m.indent}reserved {f.number};\n{m.indent}reserved \"{f.name}\";"
        edits = [(s, e, ""), (brace + 1, brace + 1, ins)]
    else:
        nl = "\n" if s != f.stmt.start else ""
        rep = f"{ind}reserved {f.number};\n{ind}reserved \"{f.name}\";{nl}"
        edits = [(s, e, rep)]
    return edits, dict(
        element=f.fullname, breaking=True, rules=["FIELD_NO_DELETE"],
        line=lineno(pf.src, f.stmt.start),
        detail={"field": f.name, "number": f.number, "reserved_number": True,
                "reserved_name": True,
                "note": "breaking under FILE/PACKAGE; allowed under WIRE/WIRE_JSON"},
    )


def m_change_field_type(pf, rng):
    cands = _plain_fields(pf, lambda f: f.type in SCALARS and not f.is_map)
    if not cands:
        return None
    f = rng.choice(cands)
    choices = TYPE_CHANGES.get(f.type) or [t for t in SCALARS if t != f.type]
    new = rng.choice(choices)
    return [(f.type_tok.start, f.type_tok.end, new)], dict(
        element=f.fullname, breaking=True, rules=["FIELD_SAME_TYPE"],
        line=lineno(pf.src, f.stmt.start),
        detail={"field": f.name, "from": f.type, "to": new},
    )


def m_rename_field(pf, rng):
    cands = _plain_fields(pf, lambda f: "json_name" not in f.opts_text)
    if not cands:
        return None
    f = rng.choice(cands)
    new = f.name + rng.choice(["_v2", "_value", "_id", "_name", "_text"])
    if any(g.name == new for g in f.parent.fields):
        return None
    return [(f.name_tok.start, f.name_tok.end, new)], dict(
        element=f.fullname, breaking=True,
        rules=["FIELD_SAME_NAME", "FIELD_SAME_JSON_NAME"],
        line=lineno(pf.src, f.stmt.start),
        detail={"from": f.name, "to": new},
    )


def m_change_json_name(pf, rng):
    cands = _plain_fields(pf, lambda f: not f.is_map and "json_name" not in f.opts_text)
    if not cands:
        return None
    f = rng.choice(cands)
    new = lower_camel(f.name) + rng.choice(["V2", "Value", "Json"])
    if f.opts_open is not None:
        edit = (f.opts_open.end, f.opts_open.end, f'json_name = "{new}", ')
    else:
        edit = (f.num_tok.end, f.num_tok.end, f' [json_name = "{new}"]')
    return [edit], dict(
        element=f.fullname, breaking=True, rules=["FIELD_SAME_JSON_NAME"],
        line=lineno(pf.src, f.stmt.start),
        detail={"field": f.name, "from": lower_camel(f.name), "to": new},
    )


def m_change_field_number(pf, rng):
    cands = _plain_fields(pf)
    if not cands:
        return None
    f = rng.choice(cands)
    n = next_free_number(f.parent)
    if n is None:
        return None
    return [(f.num_tok.start, f.num_tok.end, str(n))], dict(
        element=f.fullname, breaking=True, rules=["FIELD_NO_DELETE"],
        line=lineno(pf.src, f.stmt.start),
        detail={"field": f.name, "from": f.number, "to": n},
    )


def m_change_field_label(pf, rng):
    cands = _plain_fields(
        pf, lambda f: f.label is None and f.oneof is None and not f.is_map)
    if not cands:
        return None
    f = rng.choice(cands)
    return [(f.type_tok.start, f.type_tok.start, "repeated ")], dict(
        element=f.fullname, breaking=True,
        rules=["FIELD_SAME_LABEL", "FIELD_SAME_CARDINALITY"],
        line=lineno(pf.src, f.stmt.start),
        detail={"field": f.name, "from": "singular", "to": "repeated"},
    )


def m_add_field(pf, rng):
    if not pf.messages:
        return None
    m = rng.choice(pf.messages)
    n = next_free_number(m)
    if n is None or m.close_tok is None:
        return None
    name = "protosync_bench_added"
    if any(f.name == name for f in m.fields):
        return None
    typ = rng.choice(["string", "int64", "bool", "bytes"])
    ls = pf.src.rfind("\n", 0, m.close_tok.start) + 1
    if pf.src[ls:m.close_tok.start].strip():
        ins_at, text = m.close_tok.start, f" {typ} {name} = {n}; "
    else:
        ins_at, text = ls, f"{m.indent}// Added by protosync bench.\n{m.indent}{typ} {name} = {n};\n"
    return [(ins_at, ins_at, text)], dict(
        element=f"{m.fullname}.{name}", breaking=False, rules=[],
        line=lineno(pf.src, m.close_tok.start),
        detail={"message": m.fullname, "number": n, "type": typ},
    )


def m_delete_enum_value(pf, rng):
    cands = [(en, v) for en in pf.enums for v in en.values if v.index > 0]
    if not cands:
        return None
    en, v = rng.choice(cands)
    s, e = line_span(pf.src, v.stmt.start, v.stmt.end)
    return [(s, e, "")], dict(
        element=f"{en.fullname}.{v.name}", breaking=True,
        rules=["ENUM_VALUE_NO_DELETE"], line=lineno(pf.src, v.stmt.start),
        detail={"enum": en.fullname, "value": v.name, "number": v.number},
    )


def m_rename_enum_value(pf, rng):
    cands = [(en, v) for en in pf.enums for v in en.values]
    if not cands:
        return None
    en, v = rng.choice(cands)
    new = v.name + rng.choice(["_V2", "_RENAMED", "_LEGACY"])
    return [(v.name_tok.start, v.name_tok.end, new)], dict(
        element=f"{en.fullname}.{v.name}", breaking=True,
        rules=["ENUM_VALUE_SAME_NAME"], line=lineno(pf.src, v.stmt.start),
        detail={"enum": en.fullname, "from": v.name, "to": new, "number": v.number},
    )


def m_add_enum_value(pf, rng):
    cands = [en for en in pf.enums if en.values and en.close_tok is not None]
    if not cands:
        return None
    en = rng.choice(cands)
    first = en.values[0].name
    # enum values are scoped in the enum's parent: keep the name unique
    if first.endswith("_UNSPECIFIED"):
        prefix = first[: -len("UNSPECIFIED")]
    else:
        prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", en.name).upper() + "_"
    name = prefix + "PROTOSYNC_BENCH_ADDED"
    used = {v.number for v in en.values} | en.reserved
    n = max(used) + 1
    while n in used:
        n += 1
    last = en.values[-1]
    le = pf.src.find("\n", last.stmt.end)
    if le < 0 or le > en.close_tok.start:
        ins_at, text = last.stmt.end, f" {name} = {n};"
    else:
        ind = re.match(r"[ \t]*", pf.src[pf.src.rfind("\n", 0, last.stmt.start) + 1:]).group()
        ins_at, text = le + 1, f"\n{ind}// Added by protosync bench.\n{ind}{name} = {n};\n"
    return [(ins_at, ins_at, text)], dict(
        element=f"{en.fullname}.{name}", breaking=False, rules=[],
        line=lineno(pf.src, last.stmt.start),
        detail={"enum": en.fullname, "value": name, "number": n},
    )


def m_delete_rpc(pf, rng):
    cands = [r for s in pf.services for r in s.rpcs]
    if not cands:
        return None
    r = rng.choice(cands)
    s, e = line_span(pf.src, r.stmt.start, r.stmt.end)
    return [(s, e, "")], dict(
        element=r.fullname, breaking=True, rules=["RPC_NO_DELETE"],
        line=lineno(pf.src, r.stmt.start),
        detail={"service": r.service.fullname, "rpc": r.name},
    )


def _top_level_messages(pf):
    return [m for m in pf.messages if m.depth == 1]


def m_change_rpc_request(pf, rng):
    rpcs = [r for s in pf.services for r in s.rpcs]
    tops = _top_level_messages(pf)
    if not rpcs or len(tops) < 2:
        return None
    r = rng.choice(rpcs)
    others = [m for m in tops if m.name != r.req_tok.text.split(".")[-1]]
    if not others:
        return None
    m = rng.choice(others)
    return [(r.req_tok.start, r.req_tok.end, m.name)], dict(
        element=r.fullname, breaking=True, rules=["RPC_SAME_REQUEST_TYPE"],
        line=lineno(pf.src, r.stmt.start),
        detail={"from": r.req_tok.text, "to": m.fullname},
    )


def m_change_rpc_response(pf, rng):
    rpcs = [r for s in pf.services for r in s.rpcs]
    tops = _top_level_messages(pf)
    if not rpcs or len(tops) < 2:
        return None
    r = rng.choice(rpcs)
    others = [m for m in tops if m.name != r.resp_tok.text.split(".")[-1]]
    if not others:
        return None
    m = rng.choice(others)
    return [(r.resp_tok.start, r.resp_tok.end, m.name)], dict(
        element=r.fullname, breaking=True, rules=["RPC_SAME_RESPONSE_TYPE"],
        line=lineno(pf.src, r.stmt.start),
        detail={"from": r.resp_tok.text, "to": m.fullname},
    )


def m_rpc_server_streaming(pf, rng):
    rpcs = [r for s in pf.services for r in s.rpcs if not r.resp_stream]
    if not rpcs:
        return None
    r = rng.choice(rpcs)
    return [(r.resp_tok.start, r.resp_tok.start, "stream ")], dict(
        element=r.fullname, breaking=True, rules=["RPC_SAME_SERVER_STREAMING"],
        line=lineno(pf.src, r.stmt.start),
        detail={"from": "unary response", "to": "server streaming"},
    )


def m_add_rpc(pf, rng):
    rpcs = [r for s in pf.services for r in s.rpcs]
    if not rpcs:
        return None
    r = rng.choice(rpcs)
    svc = r.service
    name = "ProtosyncBenchAdded"
    if any(x.name == name for x in svc.rpcs) or svc.close_tok is None:
        return None
    req = ("stream " if r.req_stream else "") + r.req_tok.text
    resp = ("stream " if r.resp_stream else "") + r.resp_tok.text
    ind = re.match(r"[ \t]*", pf.src[pf.src.rfind("\n", 0, r.stmt.start) + 1:]).group() or "  "
    ls = pf.src.rfind("\n", 0, svc.close_tok.start) + 1
    text = f"\n{ind}// Added by protosync bench.\n{ind}rpc {name}({req}) returns ({resp});\n"
    at = ls if not pf.src[ls:svc.close_tok.start].strip() else svc.close_tok.start
    return [(at, at, text)], dict(
        element=f"{svc.fullname}.{name}", breaking=False, rules=[],
        line=lineno(pf.src, svc.close_tok.start),
        detail={"service": svc.fullname, "request": req, "response": resp},
    )


class Ctx:
    """Corpus-wide context for mutations that need it (set up in main)."""
    importers: dict = {}  # path -> set of paths importing it (directly)
    read: Callable = None  # path -> text of the pristine file


def _referenced_by_importers(path: str, word: str) -> bool:
    pat = re.compile(r"\b%s\b" % re.escape(word))
    return any(pat.search(Ctx.read(imp)) for imp in sorted(Ctx.importers.get(path, ())))


def m_delete_nested_message(pf, rng):
    """Delete a nested message together with the fields of this file that
    use it (what people do when they drop a sub-structure)."""
    all_fields = [f for m in pf.messages for f in m.fields]
    cands = []
    for m in pf.messages:
        if m.depth < 2:
            continue
        inside = lambda f: m.stmt.start <= f.stmt.start < m.stmt.end
        users = [f for f in all_fields
                 if f.type.split(".")[-1] == m.name and not inside(f)]
        # every other mention of the name must be one of those fields
        if len(re.findall(r"\b%s\b" % re.escape(m.name), pf.src)) != 1 + len(users):
            continue
        if any(len(re.findall(r"\b%s\b" % re.escape(m.name),
                              pf.src[f.stmt.start:f.stmt.end])) != 1 for f in users):
            continue
        # a oneof must keep at least one field
        if any(f.oneof is not None and sum(1 for g in f.parent.fields
               if g.oneof == f.oneof and g not in users) == 0 for f in users):
            continue
        if Ctx.read is not None and _referenced_by_importers(pf.path, m.name):
            continue
        cands.append((m, users))
    if not cands:
        return None
    m, users = rng.choice(cands)
    spans = [line_span(pf.src, m.stmt.start, m.stmt.end)]
    spans += [line_span(pf.src, f.stmt.start, f.stmt.end) for f in users]
    spans.sort()
    if any(a[1] > b[0] for a, b in zip(spans, spans[1:])):
        return None
    return [(s, e, "") for s, e in spans], dict(
        element=m.fullname, breaking=True,
        rules=["MESSAGE_NO_DELETE"] + (["FIELD_NO_DELETE"] if users else []),
        line=lineno(pf.src, m.stmt.start),
        detail={"message": m.fullname,
                "deleted_fields": [f.fullname for f in users]},
    )


def m_add_message(pf, rng):
    # unique per file: several files share a package
    stem = Path(pf.path).stem
    name = "ProtosyncBenchAdded" + "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", stem) if p)
    if name in pf.src:
        return None
    end = len(pf.src)
    text = ("" if pf.src.endswith("\n") else "\n") + (
        f"\n// Added by protosync bench.\nmessage {name} {{\n"
        f"  string id = 1;\n  int64 revision = 2;\n}}\n")
    return [(end, end, text)], dict(
        element=f"{pf.package}.{name}" if pf.package else name,
        breaking=False, rules=[], line=lineno(pf.src, end),
        detail={},
    )


FILE_OPTIONS = {
    "go_package": ("FILE_SAME_GO_PACKAGE", lambda v: v[:-1] + '_v2"' if ";" not in v else v.replace(";", "_v2;", 1)),
    "java_package": ("FILE_SAME_JAVA_PACKAGE", lambda v: v[:-1] + '.v2"'),
    "java_outer_classname": ("FILE_SAME_JAVA_OUTER_CLASSNAME", lambda v: v[:-1] + 'V2"'),
    "csharp_namespace": ("FILE_SAME_CSHARP_NAMESPACE", lambda v: v[:-1] + '.V2"'),
    "php_namespace": ("FILE_SAME_PHP_NAMESPACE", lambda v: v[:-1] + '\\\\V2"'),
    "ruby_package": ("FILE_SAME_RUBY_PACKAGE", lambda v: v[:-1] + '::V2"'),
    "objc_class_prefix": ("FILE_SAME_OBJC_CLASS_PREFIX", lambda v: v[:-1] + 'X"'),
    "java_multiple_files": ("FILE_SAME_JAVA_MULTIPLE_FILES",
                            lambda v: "false" if v == "true" else "true"),
}


def m_change_file_option(pf, rng):
    cands = [o for o in pf.options if o.name in FILE_OPTIONS]
    if not cands:
        return None
    o = rng.choice(cands)
    rule, fn = FILE_OPTIONS[o.name]
    old = o.value_tok.text
    if o.value_tok.kind == "string" and len(old) < 3:
        return None
    new = fn(old)
    return [(o.value_tok.start, o.value_tok.end, new)], dict(
        element=f"option {o.name}", breaking=True, rules=[rule],
        line=lineno(pf.src, o.stmt.start),
        detail={"option": o.name, "from": old, "to": new},
    )


def m_change_comment(pf, rng):
    lines = [m for m in re.finditer(r"(?m)^[ \t]*//[^\n]*[A-Za-z][^\n]*$", pf.src)
             if m.start() > 800]  # skip the licence header
    if not lines:
        return None
    m = rng.choice(lines)
    return [(m.end(), m.end(), " (Clarified.)")], dict(
        element="comment", breaking=False, rules=[],
        line=lineno(pf.src, m.start()), detail={},
    )


# (name, weight, fn)
MUTATIONS: list[tuple[str, int, Callable]] = [
    ("delete_field", 12, m_delete_field),
    ("delete_field_reserve_number", 6, m_delete_field_reserved),
    ("change_field_type", 10, m_change_field_type),
    ("rename_field", 8, m_rename_field),
    ("change_json_name", 5, m_change_json_name),
    ("change_field_number", 3, m_change_field_number),
    ("change_field_label", 3, m_change_field_label),
    ("delete_enum_value", 7, m_delete_enum_value),
    ("rename_enum_value", 6, m_rename_enum_value),
    ("delete_rpc", 6, m_delete_rpc),
    ("change_rpc_request_type", 5, m_change_rpc_request),
    ("change_rpc_response_type", 3, m_change_rpc_response),
    ("rpc_server_streaming", 2, m_rpc_server_streaming),
    ("delete_nested_message", 5, m_delete_nested_message),
    ("change_file_option", 6, m_change_file_option),
    ("add_field", 8, m_add_field),
    ("add_enum_value", 4, m_add_enum_value),
    ("add_rpc", 3, m_add_rpc),
    ("add_message", 3, m_add_message),
    ("change_comment", 4, m_change_comment),
]


# --------------------------------------------------------------------------
# protoc check
# --------------------------------------------------------------------------

ERR_RE = re.compile(r'^([^\s:]+\.proto)(?::\d+:\d+)?: (.*)$')
IMPORT_ERR_RE = re.compile(r'Import "([^"]+)" was not found or had errors')


def protoc_check(protoc: str, root: Path, targets: list[str],
                 includes: tuple = ()) -> tuple[bool, dict, str]:
    """Compile all targets in one protoc invocation. Returns (ok,
    {file: [messages]}, raw stderr) for error lines (warnings ignored)."""
    with tempfile.NamedTemporaryFile("w", suffix=".args", delete=False) as fh:
        fh.write("\n".join(targets) + "\n")
        argfile = fh.name
    try:
        p = subprocess.run(
            [protoc, "-I", "."] + [f"-I{i}" for i in includes]
            + ["-o", os.devnull, "@" + argfile],
            cwd=root, capture_output=True, text=True,
        )
    finally:
        os.unlink(argfile)
    errs: dict[str, list[str]] = {}
    for line in p.stderr.splitlines():
        m = ERR_RE.match(line)
        if not m or m.group(2).startswith("warning:"):
            continue
        errs.setdefault(m.group(1), []).append(m.group(2))
    return p.returncode == 0, errs, p.stderr


def find_protoc(arg: Optional[str]) -> str:
    # Debian's protoc first (what bench/install-tools.sh installs), then PATH.
    cand = arg or os.environ.get("PROTOC") or (
        "/usr/bin/protoc" if os.access("/usr/bin/protoc", os.X_OK) else shutil.which("protoc"))
    if not cand:
        sys.exit("mutate.py: protoc not found; run bench/install-tools.sh or pass --protoc")
    return cand


IMPORT_RE = re.compile(r'^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;', re.M)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=CACHE / "googleapis")
    ap.add_argument("--out", type=Path, default=CACHE / "googleapis-mutated")
    ap.add_argument("--manifest", type=Path, default=CACHE / "mutations.json")
    ap.add_argument("-n", "--count", type=int, default=300)
    ap.add_argument("--seed", type=int, default=20240917)
    ap.add_argument("--protoc", default=None, help="protoc binary (default: $PROTOC or PATH)")
    ap.add_argument("--no-check", action="store_true", help="skip the protoc compile check")
    ap.add_argument("--include", action="append", type=Path, default=[],
                    help="extra import root for the protoc check (repeatable)")
    ap.add_argument("--max-rounds", type=int, default=40)
    args = ap.parse_args()

    t0 = time.monotonic()
    root: Path = args.root.resolve()
    out: Path = args.out.resolve()
    if not (root / "google").is_dir():
        sys.exit(f"mutate.py: {root} is not an include root (no google/); run bench/fetch-corpus.sh")
    protoc = None if args.no_check else find_protoc(args.protoc)
    includes = tuple(str(p.resolve()) for p in args.include)

    all_files = sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*.proto") if p.is_file()
    )
    targets = [p for p in all_files if not p.startswith("google/protobuf/")]

    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(root, out, symlinks=False)
    print(f"copied {len(all_files)} files to {out}", file=sys.stderr)

    texts: dict[str, str] = {}

    def read(path):
        if path not in texts:
            texts[path] = (root / path).read_text(encoding="utf-8")
        return texts[path]

    importers: dict[str, set] = {}
    for p in all_files:
        for imp in IMPORT_RE.findall(read(p)):
            importers.setdefault(imp, set()).add(p)
    Ctx.importers, Ctx.read = importers, read

    def affected(paths):
        """paths + everything that (transitively) imports them."""
        seen, todo = set(), list(paths)
        while todo:
            p = todo.pop()
            if p in seen:
                continue
            seen.add(p)
            todo.extend(importers.get(p, ()))
        return sorted(x for x in seen if not x.startswith("google/protobuf/"))

    rng = random.Random(args.seed)
    pool = targets[:]
    rng.shuffle(pool)
    pos = 0
    used: set = set()  # files that got a mutation (kept or dropped)
    kinds = [k for k, _, _ in MUTATIONS]
    weights = [w for _, w, _ in MUTATIONS]
    fns = {k: fn for k, _, fn in MUTATIONS}

    applied: dict[str, dict] = {}  # path -> manifest entry
    dropped: list[dict] = []
    originals: dict[str, str] = {}
    parsed_cache: dict[str, Optional[ProtoFile]] = {}

    def load(path):
        if path not in parsed_cache:
            src = read(path)
            originals[path] = src
            parsed_cache[path] = parse_file(path, src)
        return parsed_cache[path]

    retry: list[str] = []
    drops: dict[str, int] = {}

    def next_fresh():
        nonlocal pos
        while pos < len(pool):
            p = pool[pos]
            pos += 1
            if p not in used:
                return p
        return None

    def top_up():
        """Add mutations until `count` are applied (one per fresh file)."""
        misses = 0
        while len(applied) < args.count:
            # replace dropped mutations by the same kind, to keep the mix
            kind = retry.pop(0) if retry else rng.choices(kinds, weights)[0]
            for _ in range(400):  # try fresh files until one fits this kind
                path = next_fresh()
                if path is None:
                    return
                pf = load(path)
                if pf is None:
                    used.add(path)  # our parser does not handle it: skip
                    continue
                res = fns[kind](pf, rng)
                if res is None:
                    pool.append(path)  # not applicable: back to the pool
                    continue
                edits, info = res
                (out / path).write_text(apply_edits(pf.src, edits), encoding="utf-8")
                used.add(path)
                applied[path] = dict(kind=kind, file=path, **info)
                break
            else:
                misses += 1
                if misses > 200:
                    return

    def undo(path, reason):
        entry = applied.pop(path)
        drops[entry["kind"]] = drops.get(entry["kind"], 0) + 1
        if drops[entry["kind"]] <= 20:
            retry.append(entry["kind"])
        entry["dropped_because"] = reason
        dropped.append(entry)
        (out / path).write_text(originals[path], encoding="utf-8")

    # protoc stops at the first file that fails, so each round finds one
    # culprit; rounds compile only the mutated files and their (transitive)
    # importers, and a final round compiles the whole tree.
    rounds = 0
    while not args.no_check:
        top_up()
        rounds += 1
        ok, errs, raw = protoc_check(protoc, out, affected(applied), includes)
        if ok:
            if len(applied) >= args.count or rounds >= args.max_rounds:
                ok, errs, raw = protoc_check(protoc, out, targets, includes)
                if ok:
                    print(f"round {rounds}: whole tree compiles with {len(applied)} mutations",
                          file=sys.stderr)
                    break
            else:
                continue
        bad = set()
        for f, msgs in errs.items():
            if f in applied:
                bad.add(f)
            for msg in msgs:
                m = IMPORT_ERR_RE.search(msg)
                if m and m.group(1) in applied:
                    bad.add(m.group(1))
        if not bad:
            # errors in unmutated files: blame the mutated files they import
            for f in errs:
                if (out / f).exists():
                    for imp in IMPORT_RE.findall((out / f).read_text(encoding="utf-8")):
                        if imp in applied:
                            bad.add(imp)
        if not bad:
            sys.stderr.write(raw[-4000:])
            sys.exit("mutate.py: protoc fails on files that no mutation explains "
                     "(is the pristine corpus compiling?)")
        for f in sorted(bad):
            reason = "; ".join((errs.get(f) or ["breaks an importer: " + "; ".join(
                f"{k}: {v[0]}" for k, v in errs.items())])[:2])
            undo(f, reason[:300])
        print(f"round {rounds}: undid {len(bad)} mutation(s) that broke compilation",
              file=sys.stderr)
        if rounds >= args.max_rounds + 20:
            sys.exit("mutate.py: could not reach a compiling tree")
    if args.no_check:
        top_up()

    entries = sorted(applied.values(), key=lambda e: e["file"])
    for i, e in enumerate(entries, 1):
        e["id"] = i
    by_kind: dict[str, int] = {}
    for e in entries:
        by_kind[e["kind"]] = by_kind.get(e["kind"], 0) + 1
    manifest = {
        "root": os.path.relpath(root, BENCH_DIR.parent),
        "mutated_root": os.path.relpath(out, BENCH_DIR.parent),
        "seed": args.seed,
        "requested": args.count,
        "applied": len(entries),
        "breaking": sum(1 for e in entries if e["breaking"]),
        "non_breaking": sum(1 for e in entries if not e["breaking"]),
        "by_kind": dict(sorted(by_kind.items())),
        "checked_with": None if args.no_check else "%s (%s)" % (subprocess.run(
            [protoc, "--version"], capture_output=True, text=True).stdout.strip(), protoc),
        "note": ("'breaking' and 'rules' are the expectation under buf's default "
                 "FILE rule category; one mutation per file, line = 1-based line "
                 "in the original file."),
        "mutations": [
            {k: e[k] for k in ("id", "kind", "file", "line", "element", "breaking",
                               "rules", "detail")}
            for e in entries
        ],
        "dropped": [
            {k: e.get(k) for k in ("kind", "file", "element", "dropped_because")}
            for e in sorted(dropped, key=lambda e: e["file"])
        ],
    }
    args.manifest.parent.mkdir(parents=True, exist_ok=True)
    args.manifest.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    dt = time.monotonic() - t0
    print(f"{len(entries)} mutations ({manifest['breaking']} breaking, "
          f"{manifest['non_breaking']} non-breaking) in {len(entries)} files; "
          f"{len(dropped)} dropped because they broke compilation; "
          f"manifest: {args.manifest}; {dt:.1f} s")
    if len(entries) < args.count:
        print(f"warning: only {len(entries)} of {args.count} mutations applied", file=sys.stderr)


if __name__ == "__main__":
    main()
