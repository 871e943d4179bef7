"""Mutation kinds of the widened differential (bench/differential.py).

Each kind is a function (ctx) -> None (not applicable here) or a dict
{"files": {path: new text or None (deleted)}, "file": path, "line": n, "detail": str}.
ctx: .files {path: text} of the module, .pf(path) -> ProtoFile, .rng (random.Random),
.target (a path of the module chosen for this try).
`VALID` kinds produce inputs meant to compile; `INVALID` kinds inputs protoc must refuse.
"""
import re

from protoedit import (INT_TYPES, SCALARS, add_option, edit, indent_of, insert_file_option,
                       insert_in_body, stmt_span)

VALID = {}
INVALID = {}


def kind(table):
    def deco(fn):
        table[fn.__name__] = fn
        return fn
    return deco


def pick(ctx, seq):
    seq = list(seq)
    return ctx.rng.choice(seq) if seq else None


def out(ctx, path, text, off, detail, extra=None):
    files = {path: text}
    if extra:
        files.update(extra)
    return {"files": files, "file": path, "line": ctx.pf(path).line_of(off), "detail": detail}


def fields(pf, pred=lambda e: True, kinds=("field",)):
    return [e for e in pf.els(*kinds) if e.parent.kind in ("message", "group", "oneof") and pred(e)]


def label(e):
    return e.label.v if e.label else None


def singular(e):
    return e.kind == "field" and label(e) != "repeated"


def delete_el(text, el):
    s, e = stmt_span(text, el)
    return edit(text, s, e, "")


def used_names(ctx):
    """Every type name used by a field, rpc, extend or option in the module (last components)."""
    names = set()
    for p in ctx.files:
        pf = ctx.pf(p)
        for e in pf.root.walk():
            for t in e.toks:
                if t.k == "ident":
                    names.add(t.v.lstrip(".").split(".")[-1])
    return names


def _ident_counts(pf):
    c = getattr(pf, "_idents", None)
    if c is None:
        from collections import Counter
        c = Counter()
        for t in pf.root.walk():
            for tk in t.toks:
                if tk.k == "ident":
                    for part in set(tk.v.lstrip(".").split(".")):
                        c[part] += 1
        pf._idents = c
    return c


def unreferenced(ctx, el, pf):
    """True when el's simple name appears nowhere else as an identifier (or a part of a dotted one)."""
    return sum(_ident_counts(ctx.pf(p))[el.name] for p in ctx.files) <= 1


def free_number(msg):
    nums = [0]
    for e in msg.walk():
        if e.kind in ("field", "map", "group") and e.num_tok and e.num_tok.v.isdigit() and e.message() is msg:
            nums.append(int(e.num_tok.v))
    for e in msg.children:
        if e.kind in ("reserved", "extensions"):
            for t in e.toks:
                if t.k == "num" and t.v.isdigit():
                    nums.append(int(t.v))
    n = max(nums) + 1
    return n if n < 18999 or n > 19999 else 20000


def importers(ctx, path):
    return [p for p in ctx.files if path in ctx.pf(p).imports]


def type_names_in(pf, el):
    return {t.v.lstrip(".").split(".")[-1] for e in el.walk() for t in e.toks if t.k == "ident"}


def decl_names_outside(pf, el):
    inside = {id(x) for x in el.walk()}
    return {e.name for e in pf.els("message", "enum", "group") if id(e) not in inside}


def header(pf, package=None):
    """syntax/edition + package + file options + imports of pf, for a new file."""
    parts = []
    for c in pf.root.children:
        if c.kind in ("syntax", "edition", "import", "option"):
            parts.append(pf.text[c.start:c.end])
        elif c.kind == "package":
            parts.append(f"package {package or pf.package};")
    if package and not pf.package:
        parts.append(f"package {package};")
    return "\n".join(parts) + "\n\n"


def add_import(pf, text, path):
    imps = [c for c in pf.root.children if c.kind in ("import", "package", "syntax", "edition")]
    at = imps[-1].end if imps else 0
    return edit(text, at, at, f'\nimport "{path}";')


def new_path(ctx, base, suffix):
    p = base[:-len(".proto")] + suffix + ".proto"
    while p in ctx.files:
        p = p[:-len(".proto")] + "x.proto"
    return p


def top_level(pf, kind_):
    return [c for c in pf.root.children if c.kind == kind_]


# ----------------------------------------------------------------- deletions and moves
@kind(VALID)
def message_delete(ctx):
    pf = ctx.pf(ctx.target)
    m = pick(ctx, [e for e in pf.els("message") if unreferenced(ctx, e, pf)])
    if not m:
        return None
    return out(ctx, pf.path, delete_el(pf.text, m), m.start, f"delete message {m.fqn(pf.package)}")


@kind(VALID)
def message_nested_delete(ctx):
    pf = ctx.pf(ctx.target)
    m = pick(ctx, [e for e in pf.els("message") if e.parent.kind == "message" and unreferenced(ctx, e, pf)])
    if not m:
        return None
    return out(ctx, pf.path, delete_el(pf.text, m), m.start, f"delete nested message {m.fqn(pf.package)}")


def _move(ctx, kinds, package_suffix=None, need_unref=False):
    pf = ctx.pf(ctx.target)
    cands = []
    for e in pf.root.children:
        if e.kind not in kinds:
            continue
        if type_names_in(pf, e) & decl_names_outside(pf, e):
            continue  # would need the old file: import cycle
        if need_unref and not unreferenced(ctx, e, pf):
            continue
        cands.append(e)
    e = pick(ctx, cands)
    if not e:
        return None
    pkg = (pf.package + package_suffix) if package_suffix and pf.package else (
        package_suffix.strip(".") if package_suffix else None)
    np = new_path(ctx, pf.path, "_moved")
    body = header(pf, pkg) + pf.text[e.start:e.end] + "\n"
    text = delete_el(pf.text, e)
    if not package_suffix:
        text = add_import(pf, text, np)
    where = "package " + pkg if package_suffix else "file " + np
    return out(ctx, pf.path, text, e.start, f"move {e.kind} {e.fqn(pf.package)} to {where}", {np: body})


@kind(VALID)
def message_move_file(ctx):
    return _move(ctx, ("message",))


@kind(VALID)
def message_move_package(ctx):
    return _move(ctx, ("message",), ".mvpkg", need_unref=True)


@kind(VALID)
def enum_move_file(ctx):
    return _move(ctx, ("enum",))


@kind(VALID)
def enum_move_package(ctx):
    return _move(ctx, ("enum",), ".mvpkg", need_unref=True)


@kind(VALID)
def service_move_file(ctx):
    return _move(ctx, ("service",))


@kind(VALID)
def service_move_package(ctx):
    return _move(ctx, ("service",), ".mvpkg")


@kind(VALID)
def enum_delete(ctx):
    pf = ctx.pf(ctx.target)
    m = pick(ctx, [e for e in pf.els("enum") if unreferenced(ctx, e, pf)])
    if not m:
        return None
    return out(ctx, pf.path, delete_el(pf.text, m), m.start, f"delete enum {m.fqn(pf.package)}")


@kind(VALID)
def enum_value_delete(ctx):
    pf = ctx.pf(ctx.target)
    vals = [v for en in pf.els("enum") for v in [c for c in en.children if c.kind == "enumvalue"][1:]]
    v = pick(ctx, vals)
    if not v:
        return None
    return out(ctx, pf.path, delete_el(pf.text, v), v.start, f"delete enum value {v.name}")


@kind(VALID)
def enum_value_rename(ctx):
    pf = ctx.pf(ctx.target)
    v = pick(ctx, pf.els("enumvalue"))
    if not v:
        return None
    t = v.name_tok
    return out(ctx, pf.path, edit(pf.text, t.s, t.e, t.v + "_RENAMED"), v.start, f"rename enum value {v.name}")


@kind(VALID)
def enum_value_renumber(ctx):
    pf = ctx.pf(ctx.target)
    vals = [v for en in pf.els("enum") for v in [c for c in en.children if c.kind == "enumvalue"][1:]]
    v = pick(ctx, vals)
    if not v or not v.num_tok:
        return None
    nums = [int(c.num_tok.v, 0) for c in v.parent.children if c.kind == "enumvalue" and c.num_tok
            and re.fullmatch(r"\d+|0x[0-9a-fA-F]+", c.num_tok.v)]
    n = (max(nums) if nums else 0) + 7
    t = v.num_tok
    return out(ctx, pf.path, edit(pf.text, t.s, t.e, str(n)), v.start, f"renumber {v.name} to {n}")


@kind(VALID)
def enum_value_add(ctx):
    pf = ctx.pf(ctx.target)
    en = pick(ctx, pf.els("enum"))
    vals = [c for c in en.children if c.kind == "enumvalue"] if en else []
    if not vals:
        return None
    nums = [int(c.num_tok.v, 0) for c in vals if c.num_tok and re.fullmatch(r"\d+", c.num_tok.v)]
    n = (max(nums) if nums else 0) + 1
    prefix = vals[-1].name.rsplit("_", 1)[0] + "_" if "_" in vals[-1].name else vals[-1].name
    text = insert_in_body(pf.text, en, f"{prefix}ADDED_VALUE = {n};")
    return out(ctx, pf.path, text, en.start, f"add enum value to {en.name}")


@kind(VALID)
def service_delete(ctx):
    pf = ctx.pf(ctx.target)
    s = pick(ctx, pf.els("service"))
    if not s:
        return None
    return out(ctx, pf.path, delete_el(pf.text, s), s.start, f"delete service {s.name}")


@kind(VALID)
def rpc_delete(ctx):
    pf = ctx.pf(ctx.target)
    r = pick(ctx, pf.els("rpc"))
    if not r:
        return None
    return out(ctx, pf.path, delete_el(pf.text, r), r.start, f"delete rpc {r.name}")


@kind(VALID)
def file_delete(ctx):
    if importers(ctx, ctx.target) or len(ctx.files) < 2:
        return None
    return {"files": {ctx.target: None}, "file": ctx.target, "line": 1, "detail": "delete file"}


@kind(VALID)
def file_move(ctx):
    pf = ctx.pf(ctx.target)
    np = "moved/" + pf.path
    files = {pf.path: None, np: pf.text}
    for p in importers(ctx, pf.path):
        files[p] = ctx.files[p].replace(f'"{pf.path}"', f'"{np}"')
    return {"files": files, "file": pf.path, "line": 1, "detail": f"move file to {np}"}


@kind(VALID)
def file_package_change(ctx):
    pf = ctx.pf(ctx.target)
    pk = [c for c in pf.root.children if c.kind == "package"]
    if not pk or importers(ctx, pf.path):
        return None
    text = edit(pf.text, pk[0].start, pk[0].end, f"package {pf.package}.v99;")
    return out(ctx, pf.path, text, pk[0].start, f"package {pf.package} -> {pf.package}.v99")


# ----------------------------------------------------------------- fields
@kind(VALID)
def field_delete(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, fields(pf, kinds=("field", "map", "group")))
    if not f:
        return None
    return out(ctx, pf.path, delete_el(pf.text, f), f.start, f"delete field {f.fqn(pf.package)}")


@kind(VALID)
def field_delete_reserve(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, fields(pf, kinds=("field", "map")))
    if not f:
        return None
    msg = f.message()
    name = f.name if pf.syntax == "editions" else f'"{f.name}"'
    text = delete_el(pf.text, f)
    text = edit(text, msg.body[0], msg.body[0],
                f"\n{indent_of(pf.text, f)}reserved {f.num_tok.v};\n{indent_of(pf.text, f)}reserved {name};")
    return out(ctx, pf.path, text, f.start, f"delete and reserve field {f.fqn(pf.package)}")


@kind(VALID)
def field_add(ctx):
    pf = ctx.pf(ctx.target)
    m = pick(ctx, [e for e in pf.els("message")])
    if not m:
        return None
    lab = "optional " if pf.syntax == "proto2" else ""
    text = insert_in_body(pf.text, m, f"{lab}string added_field_x = {free_number(m)};")
    return out(ctx, pf.path, text, m.start, f"add field to {m.name}")


@kind(VALID)
def field_rename(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, fields(pf, kinds=("field", "map")))
    if not f:
        return None
    t = f.name_tok
    return out(ctx, pf.path, edit(pf.text, t.s, t.e, t.v + "_renamed"), f.start, f"rename {f.fqn(pf.package)}")


@kind(VALID)
def field_renumber(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, fields(pf, kinds=("field", "map")))
    if not f:
        return None
    n = free_number(f.message())
    t = f.num_tok
    return out(ctx, pf.path, edit(pf.text, t.s, t.e, str(n)), f.start, f"renumber {f.fqn(pf.package)} to {n}")


@kind(VALID)
def field_json_name(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, fields(pf, kinds=("field", "map")))
    if not f:
        return None
    text = pf.text
    seg = text[f.opts[0]:f.opts[1]] if f.opts else ""
    m = re.search(r'json_name\s*=\s*"[^"]*"', seg)
    if m:
        a = f.opts[0] + m.start()
        text = edit(text, a, a + len(m.group()), 'json_name = "jsonRenamedX"')
    else:
        text = add_option(text, f, 'json_name = "jsonRenamedX"')
    return out(ctx, pf.path, text, f.start, f"json_name on {f.fqn(pf.package)}")


SCALAR_SWAPS = {"int32": ["int64", "sint32", "uint32", "fixed32", "sfixed32", "bool"],
                "int64": ["uint64", "sint64", "fixed64", "int32", "string"],
                "uint32": ["int32", "fixed32", "uint64"], "uint64": ["int64", "fixed64"],
                "sint32": ["int32", "sint64"], "sint64": ["int64", "sint32"],
                "fixed32": ["sfixed32", "uint32"], "fixed64": ["sfixed64", "uint64"],
                "sfixed32": ["fixed32", "int32"], "sfixed64": ["fixed64", "int64"],
                "bool": ["int32", "uint64"], "string": ["bytes"], "bytes": ["string"],
                "float": ["double", "fixed32"], "double": ["float", "fixed64"]}


@kind(VALID)
def field_scalar_type(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, [e for e in pf.els("field") if e.type.v in SCALAR_SWAPS
                   and not (e.opts and "default" in pf.text[e.opts[0]:e.opts[1]])])
    if not f:
        return None
    new = pick(ctx, SCALAR_SWAPS[f.type.v])
    return out(ctx, pf.path, edit(pf.text, f.type.s, f.type.e, new), f.start,
               f"{f.fqn(pf.package)}: {f.type.v} -> {new}")


def _msg_and_enum_names(ctx):
    msgs, enums = [], []
    for p in ctx.files:
        q = ctx.pf(p)
        for e in q.els("message"):
            msgs.append((p, "." + e.fqn(q.package)))
        for e in q.els("enum"):
            enums.append((p, "." + e.fqn(q.package), q.syntax))
    return msgs, enums


@kind(VALID)
def field_message_type(ctx):
    pf = ctx.pf(ctx.target)
    msgs = ["." + e.fqn(pf.package) for e in pf.els("message")]
    f = pick(ctx, [e for e in pf.els("field") if e.type.v not in SCALARS and e.type.v.split(".")[-1]
                   in {m.split(".")[-1] for m in msgs}])
    if not f or len(msgs) < 2:
        return None
    new = pick(ctx, [m for m in msgs if m.split(".")[-1] != f.type.v.split(".")[-1]])
    return out(ctx, pf.path, edit(pf.text, f.type.s, f.type.e, new), f.start,
               f"{f.fqn(pf.package)}: {f.type.v} -> {new}")


@kind(VALID)
def field_enum_to_int(ctx):
    pf = ctx.pf(ctx.target)
    enums = {e.name for q in ctx.files for e in ctx.pf(q).els("enum")}
    f = pick(ctx, [e for e in pf.els("field") if e.type.v.split(".")[-1] in enums
                   and not (e.opts and "default" in pf.text[e.opts[0]:e.opts[1]])])
    if not f:
        return None
    return out(ctx, pf.path, edit(pf.text, f.type.s, f.type.e, "int32"), f.start,
               f"{f.fqn(pf.package)}: enum {f.type.v} -> int32")


@kind(VALID)
def field_int_to_enum(ctx):
    pf = ctx.pf(ctx.target)
    en = pick(ctx, pf.els("enum"))
    f = pick(ctx, [e for e in pf.els("field") if e.type.v == "int32"
                   and not (e.opts and "default" in pf.text[e.opts[0]:e.opts[1]])])
    if not f or not en:
        return None
    new = "." + en.fqn(pf.package)
    return out(ctx, pf.path, edit(pf.text, f.type.s, f.type.e, new), f.start,
               f"{f.fqn(pf.package)}: int32 -> enum {new}")


@kind(VALID)
def field_to_repeated(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, fields(pf, lambda e: singular(e) and not e.in_oneof()
                         and not (e.opts and "default" in pf.text[e.opts[0]:e.opts[1]])))
    if not f:
        return None
    if f.label:
        text = edit(pf.text, f.label.s, f.label.e, "repeated")
    else:
        text = edit(pf.text, f.type.s, f.type.s, "repeated ")
    return out(ctx, pf.path, text, f.start, f"{f.fqn(pf.package)} -> repeated")


@kind(VALID)
def field_repeated_to_singular(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, fields(pf, lambda e: label(e) == "repeated" and not (
        e.opts and "pack" in pf.text[e.opts[0]:e.opts[1]])))
    if not f:
        return None
    new = "optional" if pf.syntax == "proto2" else ""
    text = edit(pf.text, f.label.s, f.label.e + (0 if new else 1), new)
    return out(ctx, pf.path, text, f.start, f"{f.fqn(pf.package)} repeated -> singular")


@kind(VALID)
def proto3_optional_add(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax != "proto3":
        return None
    f = pick(ctx, fields(pf, lambda e: e.label is None and not e.in_oneof()))
    if not f:
        return None
    return out(ctx, pf.path, edit(pf.text, f.type.s, f.type.s, "optional "), f.start,
               f"{f.fqn(pf.package)} -> proto3 optional")


@kind(VALID)
def proto3_optional_remove(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax != "proto3":
        return None
    f = pick(ctx, fields(pf, lambda e: label(e) == "optional"))
    if not f:
        return None
    return out(ctx, pf.path, edit(pf.text, f.label.s, f.type.s, ""), f.start,
               f"{f.fqn(pf.package)}: drop proto3 optional")


def _relabel(ctx, frm, to, syntax="proto2"):
    pf = ctx.pf(ctx.target)
    if pf.syntax != syntax:
        return None
    f = pick(ctx, fields(pf, lambda e: label(e) == frm and e.parent.kind != "extend",
                         kinds=("field", "group")))
    if not f:
        return None
    return out(ctx, pf.path, edit(pf.text, f.label.s, f.label.e, to), f.start,
               f"{f.fqn(pf.package)}: {frm} -> {to}")


@kind(VALID)
def proto2_optional_to_required(ctx):
    return _relabel(ctx, "optional", "required")


@kind(VALID)
def proto2_required_to_optional(ctx):
    return _relabel(ctx, "required", "optional")


@kind(VALID)
def proto2_repeated_to_optional(ctx):
    return _relabel(ctx, "repeated", "optional")


DEFAULTS = {"int32": "42", "int64": "-42", "uint32": "7", "uint64": "7", "sint32": "-3", "sint64": "3",
            "fixed32": "9", "fixed64": "9", "sfixed32": "-9", "sfixed64": "9", "bool": "true",
            "string": '"dflt"', "bytes": '"\\001dflt"', "float": "1.5", "double": "-2.25"}


@kind(VALID)
def default_change(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, [e for e in pf.els("field") if e.opts and e.type.v in DEFAULTS
                   and re.search(r"\bdefault\s*=", pf.text[e.opts[0]:e.opts[1]])])
    if not f:
        return None
    seg = pf.text[f.opts[0]:f.opts[1]]
    m = re.search(r"\bdefault\s*=\s*(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[-\w.]+)", seg)
    if not m:
        return None
    new = DEFAULTS[f.type.v]
    if m.group(1) == new:
        new = {"true": "false"}.get(new, new[:-1] + '2"' if new.endswith('"') else new + "1")
    a = f.opts[0] + m.start(1)
    return out(ctx, pf.path, edit(pf.text, a, a + len(m.group(1)), new), f.start,
               f"{f.fqn(pf.package)}: default {m.group(1)} -> {new}")


@kind(VALID)
def default_add(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax == "proto3":
        return None
    f = pick(ctx, fields(pf, lambda e: e.type.v in DEFAULTS and singular(e) and not (
        e.opts and "default" in pf.text[e.opts[0]:e.opts[1]]) and (label(e) == "optional" or (
            pf.syntax == "editions" and not e.in_oneof()))))
    if not f:
        return None
    return out(ctx, pf.path, add_option(pf.text, f, f"default = {DEFAULTS[f.type.v]}"), f.start,
               f"{f.fqn(pf.package)}: add default")


@kind(VALID)
def default_remove(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, [e for e in pf.els("field") if e.opts and re.search(
        r"\bdefault\s*=", pf.text[e.opts[0]:e.opts[1]])])
    if not f:
        return None
    seg = pf.text[f.opts[0]:f.opts[1]]
    new = re.sub(r"\s*,?\s*\bdefault\s*=\s*(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[-\w.]+)\s*,?", "", seg, 1)
    if new.strip("[] ") == "":
        new = ""
    elif new.startswith("[,"):
        new = "[" + new[2:]
    return out(ctx, pf.path, edit(pf.text, f.opts[0], f.opts[1], new), f.start,
               f"{f.fqn(pf.package)}: remove default")


# ----------------------------------------------------------------- oneofs and maps
@kind(VALID)
def oneof_field_into(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, fields(pf, lambda e: singular(e) and not e.in_oneof() and label(e) != "required"
                         and not (e.opts and "default" in pf.text[e.opts[0]:e.opts[1]])))
    if not f:
        return None
    decl = pf.text[f.start:f.end]
    if f.label:
        decl = pf.text[f.type.s:f.end]
    text = edit(pf.text, f.start, f.end, f"oneof moved_oneof_x {{ {decl} }}")
    return out(ctx, pf.path, text, f.start, f"move {f.fqn(pf.package)} into a new oneof")


@kind(VALID)
def oneof_field_out(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, [e for e in pf.els("field") if e.in_oneof()])
    if not f:
        return None
    oo = f.parent
    decl = pf.text[f.start:f.end]
    if pf.syntax == "proto2":
        decl = "optional " + decl
    elif pf.syntax == "proto3" and f.type.v in SCALARS:
        decl = "optional " + decl
    text = delete_el(pf.text, f)
    text = edit(text, oo.start, oo.start, decl + "\n" + indent_of(pf.text, oo))
    if len([c for c in oo.children if c.kind in ("field", "group", "map")]) == 1:
        return None  # empty oneof: invalid
    return out(ctx, pf.path, text, f.start, f"move {f.fqn(pf.package)} out of oneof {oo.name}")


@kind(VALID)
def oneof_rename(ctx):
    pf = ctx.pf(ctx.target)
    o = pick(ctx, pf.els("oneof"))
    if not o:
        return None
    t = o.name_tok
    return out(ctx, pf.path, edit(pf.text, t.s, t.e, t.v + "_renamed"), o.start, f"rename oneof {o.name}")


@kind(VALID)
def oneof_delete(ctx):
    pf = ctx.pf(ctx.target)
    o = pick(ctx, pf.els("oneof"))
    if not o:
        return None
    return out(ctx, pf.path, delete_el(pf.text, o), o.start, f"delete oneof {o.name} and its fields")


@kind(VALID)
def oneof_split(ctx):
    pf = ctx.pf(ctx.target)
    o = pick(ctx, [e for e in pf.els("oneof") if len([c for c in e.children if c.kind == "field"]) >= 2])
    if not o:
        return None
    f = pick(ctx, [c for c in o.children if c.kind == "field"])
    decl = pf.text[f.start:f.end]
    text = delete_el(pf.text, f)
    text = edit(text, o.start, o.start, f"oneof split_oneof_x {{ {decl} }}\n" + indent_of(pf.text, o))
    return out(ctx, pf.path, text, f.start, f"move {f.fqn(pf.package)} to another oneof")


MAP_KEYS = {"string": ["int64", "int32"], "int32": ["int64", "uint32", "string"], "int64": ["int32", "string"],
            "uint32": ["uint64", "int32"], "uint64": ["int64"], "bool": ["int32", "string"],
            "sint32": ["int32"], "sint64": ["int64"], "fixed32": ["uint32"], "fixed64": ["uint64"]}


@kind(VALID)
def map_key_change(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, [e for e in pf.els("map") if e.key and e.key.v in MAP_KEYS])
    if not f:
        return None
    new = pick(ctx, MAP_KEYS[f.key.v])
    return out(ctx, pf.path, edit(pf.text, f.key.s, f.key.e, new), f.start,
               f"{f.fqn(pf.package)}: map key {f.key.v} -> {new}")


@kind(VALID)
def map_value_change(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, [e for e in pf.els("map") if e.value])
    if not f:
        return None
    if f.value.v in SCALAR_SWAPS:
        new = pick(ctx, SCALAR_SWAPS[f.value.v])
    else:
        msgs = ["." + e.fqn(pf.package) for e in pf.els("message")
                if e.name != f.value.v.split(".")[-1]]
        new = pick(ctx, msgs) or "string"
    return out(ctx, pf.path, edit(pf.text, f.value.s, f.value.e, new), f.start,
               f"{f.fqn(pf.package)}: map value {f.value.v} -> {new}")


@kind(VALID)
def map_to_repeated_message(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, [e for e in pf.els("map") if e.value])
    if not f:
        return None
    m = f.message()
    lab = "optional " if pf.syntax == "proto2" else ""
    entry = f"message ReplacedEntryX {{ {lab}{f.key.v} key = 1; {lab}{f.value.v} value = 2; }}"
    text = edit(pf.text, f.start, f.end, f"repeated ReplacedEntryX {f.name} = {f.num_tok.v};")
    text = edit(text, m.body[0], m.body[0], "\n  " + entry)
    return out(ctx, pf.path, text, f.start, f"{f.fqn(pf.package)}: map -> repeated message")


# ----------------------------------------------------------------- extensions, groups
def _proto2ish(pf):
    return pf.syntax in ("proto2", "editions")


@kind(VALID)
def extension_range_add(ctx):
    pf = ctx.pf(ctx.target)
    if not _proto2ish(pf):
        return None
    m = pick(ctx, [e for e in pf.els("message") if "message_set_wire_format" not in pf.text[e.start:e.end]])
    if not m:
        return None
    n = free_number(m) + 100
    return out(ctx, pf.path, insert_in_body(pf.text, m, f"extensions {n} to {n + 99};"), m.start,
               f"add extension range to {m.name}")


@kind(VALID)
def extension_range_remove(ctx):
    pf = ctx.pf(ctx.target)
    x = pick(ctx, pf.els("extensions"))
    if not x:
        return None
    return out(ctx, pf.path, delete_el(pf.text, x), x.start, f"remove extension range of {x.parent.name}")


@kind(VALID)
def extension_range_shrink(ctx):
    pf = ctx.pf(ctx.target)
    x = pick(ctx, [e for e in pf.els("extensions") if any(t.v == "max" for t in e.toks)])
    if not x:
        return None
    t = [t for t in x.toks if t.v == "max"][0]
    return out(ctx, pf.path, edit(pf.text, t.s, t.e, "100000"), x.start, f"extension range max -> 100000 in {x.parent.name}")


@kind(VALID)
def extension_add(ctx):
    pf = ctx.pf(ctx.target)
    if not _proto2ish(pf):
        return None
    x = pick(ctx, [e for e in pf.els("extensions") if e.parent.kind == "message"])
    if not x:
        return None
    nums = [int(t.v) for t in x.toks if t.k == "num" and t.v.isdigit()]
    if not nums:
        return None
    n = nums[0] + 777 if len(nums) > 1 or any(t.v == "max" for t in x.toks) else nums[0]
    if len(nums) > 1 and n > nums[1]:
        n = nums[1]
    lab = "optional " if pf.syntax == "proto2" else ""
    text = pf.text + f"\nextend {'.' + x.parent.fqn(pf.package)} {{\n  {lab}int32 added_ext_x = {n};\n}}\n"
    return out(ctx, pf.path, text, x.start, f"add extension {n} to {x.parent.name}")


@kind(VALID)
def extension_delete(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, [e for e in pf.els("field", "group") if e.parent.kind == "extend" and unreferenced(ctx, e, pf)])
    if not f:
        return None
    return out(ctx, pf.path, delete_el(pf.text, f), f.start, f"delete extension {f.name}")


@kind(VALID)
def extension_type_change(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, [e for e in pf.els("field") if e.parent.kind == "extend" and e.type.v in SCALAR_SWAPS
                   and not (e.opts and "default" in pf.text[e.opts[0]:e.opts[1]])])
    if not f:
        return None
    new = pick(ctx, SCALAR_SWAPS[f.type.v])
    return out(ctx, pf.path, edit(pf.text, f.type.s, f.type.e, new), f.start,
               f"extension {f.name}: {f.type.v} -> {new}")


@kind(VALID)
def group_rename(ctx):
    pf = ctx.pf(ctx.target)
    g = pick(ctx, pf.els("group"))
    if not g or not g.name_tok:
        return None
    t = g.name_tok
    # references to the group type elsewhere would break: rename them too (same file)
    text = re.sub(r"\b%s\b" % re.escape(t.v), t.v + "Renamed", pf.text)
    return out(ctx, pf.path, text, g.start, f"rename group {g.name}")


@kind(VALID)
def group_renumber(ctx):
    pf = ctx.pf(ctx.target)
    g = pick(ctx, [e for e in pf.els("group") if e.parent.kind != "extend"])
    if not g:
        return None
    n = free_number(g.message())
    return out(ctx, pf.path, edit(pf.text, g.num_tok.s, g.num_tok.e, str(n)), g.start,
               f"renumber group {g.name} to {n}")


@kind(VALID)
def group_to_message_field(ctx):
    pf = ctx.pf(ctx.target)
    g = pick(ctx, [e for e in pf.els("group") if e.parent.kind in ("message",)])
    if not g:
        return None
    lab = g.label.v + " " if g.label else ""
    body = pf.text[g.body[0]:g.body[1]]
    new = f"message {g.name} {{{body}}}\n  {lab}{g.name} {g.name.lower()} = {g.num_tok.v};"
    return out(ctx, pf.path, edit(pf.text, g.start, g.end, new), g.start, f"group {g.name} -> message field")


@kind(VALID)
def delimited_add(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax != "editions":
        return None
    msgs = {e.name for q in ctx.files for e in ctx.pf(q).els("message")}
    f = pick(ctx, fields(pf, lambda e: e.type.v.split(".")[-1] in msgs and not (
        e.opts and "message_encoding" in pf.text[e.opts[0]:e.opts[1]])))
    if not f:
        return None
    return out(ctx, pf.path, add_option(pf.text, f, "features.message_encoding = DELIMITED"), f.start,
               f"{f.fqn(pf.package)}: DELIMITED")


@kind(VALID)
def delimited_remove(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, [e for e in pf.els("field") if e.opts and "DELIMITED" in pf.text[e.opts[0]:e.opts[1]]])
    if not f:
        return None
    seg = pf.text[f.opts[0]:f.opts[1]]
    new = re.sub(r"\s*,?\s*features\.message_encoding\s*=\s*DELIMITED\s*,?", "", seg, 1)
    if new.strip("[] ") == "":
        new = ""
    elif new.startswith("[,"):
        new = "[" + new[2:]
    return out(ctx, pf.path, edit(pf.text, f.opts[0], f.opts[1], new), f.start,
               f"{f.fqn(pf.package)}: drop DELIMITED")


# ----------------------------------------------------------------- reserved
@kind(VALID)
def reserved_range_add(ctx):
    pf = ctx.pf(ctx.target)
    m = pick(ctx, pf.els("message"))
    if not m:
        return None
    n = free_number(m) + 10
    return out(ctx, pf.path, insert_in_body(pf.text, m, f"reserved {n} to {n + 4};"), m.start,
               f"reserve {n} to {n + 4} in {m.name}")


@kind(VALID)
def reserved_remove(ctx):
    pf = ctx.pf(ctx.target)
    r = pick(ctx, pf.els("reserved"))
    if not r:
        return None
    return out(ctx, pf.path, delete_el(pf.text, r), r.start, f"remove {pf.text[r.start:r.end]} from {r.parent.name}")


@kind(VALID)
def reserved_name_add(ctx):
    pf = ctx.pf(ctx.target)
    m = pick(ctx, pf.els("message", "enum"))
    if not m:
        return None
    nm = "reserved_name_x" if pf.syntax == "editions" else '"reserved_name_x"'
    return out(ctx, pf.path, insert_in_body(pf.text, m, f"reserved {nm};"), m.start, f"reserve a name in {m.name}")


@kind(VALID)
def enum_reserved_range_add(ctx):
    pf = ctx.pf(ctx.target)
    en = pick(ctx, pf.els("enum"))
    if not en:
        return None
    nums = [int(c.num_tok.v) for c in en.children if c.kind == "enumvalue" and c.num_tok and c.num_tok.v.isdigit()]
    n = max(nums + [0]) + 10
    return out(ctx, pf.path, insert_in_body(pf.text, en, f"reserved {n} to {n + 3};"), en.start,
               f"reserve {n} to {n + 3} in enum {en.name}")


# ----------------------------------------------------------------- enums
@kind(VALID)
def enum_alias_add(ctx):
    pf = ctx.pf(ctx.target)
    en = pick(ctx, [e for e in pf.els("enum") if len([c for c in e.children if c.kind == "enumvalue"]) >= 2])
    if not en:
        return None
    v = [c for c in en.children if c.kind == "enumvalue"][1]
    text = pf.text
    stmts = "" if "allow_alias" in text[en.start:en.end] else "option allow_alias = true;"
    text = edit(text, v.end, v.end, f"\n{indent_of(text, v)}{v.name}_ALIAS = {v.num_tok.v};")
    if stmts:
        text = insert_in_body(text, en, stmts)
    return out(ctx, pf.path, text, v.start, f"alias {v.name}")


@kind(VALID)
def enum_allow_alias_remove(ctx):
    pf = ctx.pf(ctx.target)
    o = pick(ctx, [e for e in pf.els("option") if e.parent.kind == "enum" and "allow_alias" in pf.text[e.start:e.end]])
    if not o:
        return None
    return out(ctx, pf.path, delete_el(pf.text, o), o.start, f"remove allow_alias of {o.parent.name}")


# ----------------------------------------------------------------- rpcs
def _rpc_types(r):
    """(request_tok, response_tok, client_stream_tok, server_stream_tok)."""
    req = resp = cs = ss = None
    toks = r.toks
    for i, t in enumerate(toks):
        if t.v == "(":
            if toks[i + 1].v == "stream":
                tgt = toks[i + 2]
                st = toks[i + 1]
            else:
                tgt, st = toks[i + 1], None
            if req is None:
                req, cs = tgt, st
            else:
                resp, ss = tgt, st
    return req, resp, cs, ss


def _all_msgs(ctx, pf):
    return ["." + e.fqn(pf.package) for e in pf.els("message")]


@kind(VALID)
def rpc_request_change(ctx):
    pf = ctx.pf(ctx.target)
    r = pick(ctx, pf.els("rpc"))
    msgs = _all_msgs(ctx, pf)
    if not r or not msgs:
        return None
    req = _rpc_types(r)[0]
    new = pick(ctx, [m for m in msgs if m.split(".")[-1] != req.v.split(".")[-1]])
    if not new:
        return None
    return out(ctx, pf.path, edit(pf.text, req.s, req.e, new), r.start, f"rpc {r.name} request -> {new}")


@kind(VALID)
def rpc_response_change(ctx):
    pf = ctx.pf(ctx.target)
    r = pick(ctx, pf.els("rpc"))
    msgs = _all_msgs(ctx, pf)
    if not r or not msgs:
        return None
    resp = _rpc_types(r)[1]
    new = pick(ctx, [m for m in msgs if m.split(".")[-1] != resp.v.split(".")[-1]])
    if not new:
        return None
    return out(ctx, pf.path, edit(pf.text, resp.s, resp.e, new), r.start, f"rpc {r.name} response -> {new}")


def _stream_toggle(ctx, which):
    pf = ctx.pf(ctx.target)
    r = pick(ctx, pf.els("rpc"))
    if not r:
        return None
    req, resp, cs, ss = _rpc_types(r)
    st, tgt = (cs, req) if which == "client" else (ss, resp)
    if st:
        text = edit(pf.text, st.s, tgt.s, "")
        d = "drop"
    else:
        text = edit(pf.text, tgt.s, tgt.s, "stream ")
        d = "add"
    return out(ctx, pf.path, text, r.start, f"rpc {r.name}: {d} {which} streaming")


@kind(VALID)
def rpc_client_streaming(ctx):
    return _stream_toggle(ctx, "client")


@kind(VALID)
def rpc_server_streaming(ctx):
    return _stream_toggle(ctx, "server")


def _rpc_option(ctx, opt):
    pf = ctx.pf(ctx.target)
    r = pick(ctx, pf.els("rpc"))
    if not r:
        return None
    if r.body:
        text = insert_in_body(pf.text, r, f"option {opt};")
    else:
        text = edit(pf.text, r.end - 1, r.end, f" {{ option {opt}; }}")
    return out(ctx, pf.path, text, r.start, f"rpc {r.name}: option {opt}")


@kind(VALID)
def rpc_idempotency(ctx):
    pf = ctx.pf(ctx.target)
    rs = [r for r in pf.els("rpc") if "idempotency_level" in pf.text[r.start:r.end]]
    if rs:
        r = pick(ctx, rs)
        seg = pf.text[r.start:r.end]
        m = re.search(r"idempotency_level\s*=\s*(\w+)", seg)
        new = "IDEMPOTENT" if m.group(1) != "IDEMPOTENT" else "NO_SIDE_EFFECTS"
        a = r.start + m.start(1)
        return out(ctx, pf.path, edit(pf.text, a, a + len(m.group(1)), new), r.start, f"rpc {r.name}: idempotency -> {new}")
    return _rpc_option(ctx, "idempotency_level = " + pick(ctx, ["NO_SIDE_EFFECTS", "IDEMPOTENT"]))


@kind(VALID)
def rpc_deprecated(ctx):
    return _rpc_option(ctx, "deprecated = true")


@kind(VALID)
def rpc_add(ctx):
    pf = ctx.pf(ctx.target)
    r = pick(ctx, pf.els("rpc"))
    if not r:
        return None
    req, resp, _, _ = _rpc_types(r)
    text = insert_in_body(pf.text, r.parent, f"rpc AddedRpcX({req.v}) returns ({resp.v});")
    return out(ctx, pf.path, text, r.start, "add rpc")


# ----------------------------------------------------------------- options
FILE_OPTS = {"java_package": '"com.example.mutated"', "java_outer_classname": '"MutatedOuter"',
             "java_multiple_files": "true", "go_package": '"example.com/mutated;mutated"',
             "optimize_for": "CODE_SIZE", "cc_enable_arenas": "false", "objc_class_prefix": '"MUT"',
             "csharp_namespace": '"Mutated.Ns"', "swift_prefix": '"Mut"', "php_namespace": '"Mutated\\\\Ns"',
             "php_metadata_namespace": '"Mutated\\\\Meta"', "ruby_package": '"Mutated::Ns"',
             "java_string_check_utf8": "true", "cc_generic_services": "true",
             "java_generic_services": "true", "py_generic_services": "true", "deprecated": "true"}


def _file_opts(pf):
    res = {}
    for c in pf.root.children:
        if c.kind == "option":
            m = re.match(r"option\s+(\w+)\s*=", pf.text[c.start:c.end])
            if m:
                res[m.group(1)] = c
    return res


@kind(VALID)
def file_option_add(ctx):
    pf = ctx.pf(ctx.target)
    have = _file_opts(pf)
    o = pick(ctx, [k for k in FILE_OPTS if k not in have and not (
        pf.syntax != "proto2" and k in ("java_string_check_utf8",)) and not (
        pf.edition == "2024" and k == "java_multiple_files")])
    if not o:
        return None
    return out(ctx, pf.path, insert_file_option(pf, f"option {o} = {FILE_OPTS[o]};"), 1, f"add option {o}")


@kind(VALID)
def file_option_change(ctx):
    pf = ctx.pf(ctx.target)
    have = {k: v for k, v in _file_opts(pf).items() if k in FILE_OPTS}
    o = pick(ctx, sorted(have))
    if not o:
        return None
    el = have[o]
    val = FILE_OPTS[o]
    cur = pf.text[el.start:el.end]
    if val in cur:
        val = {"true": "false", "false": "true", "CODE_SIZE": "LITE_RUNTIME"}.get(val, val[:-1] + 'Z"')
    return out(ctx, pf.path, edit(pf.text, el.start, el.end, f"option {o} = {val};"), el.start, f"change option {o}")


@kind(VALID)
def file_option_remove(ctx):
    pf = ctx.pf(ctx.target)
    have = {k: v for k, v in _file_opts(pf).items() if k in FILE_OPTS}
    o = pick(ctx, sorted(have))
    if not o:
        return None
    el = have[o]
    return out(ctx, pf.path, delete_el(pf.text, el), el.start, f"remove option {o}")


@kind(VALID)
def message_option(ctx):
    pf = ctx.pf(ctx.target)
    m = pick(ctx, pf.els("message"))
    if not m:
        return None
    opt = pick(ctx, ["deprecated = true", "no_standard_descriptor_accessor = true"]
               + (["message_set_wire_format = true"] if pf.syntax == "proto2" else []))
    return out(ctx, pf.path, insert_in_body(pf.text, m, f"option {opt};"), m.start, f"{m.name}: option {opt}")


@kind(VALID)
def field_option_deprecated(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, fields(pf, lambda e: not (e.opts and "deprecated" in pf.text[e.opts[0]:e.opts[1]]),
                         kinds=("field", "map")))
    if not f:
        return None
    return out(ctx, pf.path, add_option(pf.text, f, "deprecated = true"), f.start, f"{f.fqn(pf.package)}: deprecated")


NUMERIC = INT_TYPES | {"bool", "float", "double"}


@kind(VALID)
def field_option_packed(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, fields(pf, lambda e: label(e) == "repeated" and e.type.v in NUMERIC and not (
        e.opts and "pack" in pf.text[e.opts[0]:e.opts[1]] or e.opts and "repeated_field_encoding" in pf.text[e.opts[0]:e.opts[1]])))
    if not f:
        return None
    if pf.syntax == "editions":
        opt = "features.repeated_field_encoding = " + pick(ctx, ["EXPANDED", "PACKED"])
    else:
        opt = "packed = " + ("true" if pf.syntax == "proto2" else "false")
    return out(ctx, pf.path, add_option(pf.text, f, opt), f.start, f"{f.fqn(pf.package)}: {opt}")


@kind(VALID)
def field_option_jstype(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, fields(pf, lambda e: e.type.v in ("int64", "uint64", "sint64", "fixed64", "sfixed64")
                         and not (e.opts and "jstype" in pf.text[e.opts[0]:e.opts[1]])))
    if not f:
        return None
    opt = "jstype = " + pick(ctx, ["JS_STRING", "JS_NUMBER"])
    return out(ctx, pf.path, add_option(pf.text, f, opt), f.start, f"{f.fqn(pf.package)}: {opt}")


@kind(VALID)
def field_option_ctype(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax == "editions":
        return None
    f = pick(ctx, fields(pf, lambda e: e.type.v in ("string", "bytes") and e.parent.kind != "extend"
                         and not (e.opts and "ctype" in pf.text[e.opts[0]:e.opts[1]])))
    if not f:
        return None
    opt = "ctype = " + pick(ctx, ["CORD", "STRING_PIECE"])
    return out(ctx, pf.path, add_option(pf.text, f, opt), f.start, f"{f.fqn(pf.package)}: {opt}")


@kind(VALID)
def field_option_lazy(ctx):
    pf = ctx.pf(ctx.target)
    msgs = {e.name for q in ctx.files for e in ctx.pf(q).els("message")}
    f = pick(ctx, fields(pf, lambda e: e.type.v.split(".")[-1] in msgs and not (
        e.opts and "lazy" in pf.text[e.opts[0]:e.opts[1]])))
    if not f:
        return None
    opt = pick(ctx, ["lazy = true", "unverified_lazy = true"])
    return out(ctx, pf.path, add_option(pf.text, f, opt), f.start, f"{f.fqn(pf.package)}: {opt}")


@kind(VALID)
def field_options_remove(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, [e for e in pf.els("field", "map") if e.opts])
    if not f:
        return None
    return out(ctx, pf.path, edit(pf.text, f.opts[0], f.opts[1], ""), f.start,
               f"{f.fqn(pf.package)}: drop {pf.text[f.opts[0]:f.opts[1]][:60]}")


@kind(VALID)
def validate_rule_add(ctx):
    pf = ctx.pf(ctx.target)
    if "validate/validate.proto" not in pf.imports:
        return None
    f = pick(ctx, fields(pf, lambda e: e.type.v == "string" and label(e) != "repeated" and not (
        e.opts and "validate" in pf.text[e.opts[0]:e.opts[1]])))
    if not f:
        return None
    return out(ctx, pf.path, add_option(pf.text, f, "(validate.rules).string = {min_len: 1}"), f.start,
               f"{f.fqn(pf.package)}: add validate rule")


# ----------------------------------------------------------------- editions features
FIELD_FEATURES = ["field_presence = EXPLICIT", "field_presence = IMPLICIT", "enum_type = CLOSED",
                  "repeated_field_encoding = EXPANDED", "utf8_validation = NONE",
                  "message_encoding = DELIMITED", "json_format = LEGACY_BEST_EFFORT"]


@kind(VALID)
def feature_file(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax != "editions":
        return None
    f = pick(ctx, FIELD_FEATURES)
    return out(ctx, pf.path, insert_file_option(pf, f"option features.{f};"), 1, f"file feature {f}")


@kind(VALID)
def feature_message(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax != "editions":
        return None
    m = pick(ctx, pf.els("message"))
    if not m:
        return None
    f = pick(ctx, ["field_presence = IMPLICIT", "repeated_field_encoding = EXPANDED", "utf8_validation = NONE",
                   "message_encoding = DELIMITED", "json_format = LEGACY_BEST_EFFORT", "enum_type = CLOSED"])
    return out(ctx, pf.path, insert_in_body(pf.text, m, f"option features.{f};"), m.start, f"{m.name}: feature {f}")


@kind(VALID)
def feature_field(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax != "editions":
        return None
    f = pick(ctx, fields(pf, lambda e: not (e.opts and "features." in pf.text[e.opts[0]:e.opts[1]])))
    if not f:
        return None
    if label(f) == "repeated":
        feat = "repeated_field_encoding = EXPANDED" if f.type.v in NUMERIC else "utf8_validation = NONE"
    elif f.type.v in ("string",):
        feat = pick(ctx, ["utf8_validation = NONE", "field_presence = IMPLICIT"])
    elif f.type.v in SCALARS:
        feat = pick(ctx, ["field_presence = IMPLICIT", "field_presence = LEGACY_REQUIRED"])
    else:
        feat = pick(ctx, ["message_encoding = DELIMITED", "field_presence = LEGACY_REQUIRED"])
    return out(ctx, pf.path, add_option(pf.text, f, "features." + feat), f.start, f"{f.fqn(pf.package)}: {feat}")


@kind(VALID)
def feature_enum(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax != "editions":
        return None
    en = pick(ctx, [e for e in pf.els("enum") if "enum_type" not in pf.text[e.start:e.end]])
    if not en:
        return None
    return out(ctx, pf.path, insert_in_body(pf.text, en, "option features.enum_type = CLOSED;"), en.start,
               f"enum {en.name}: CLOSED")


@kind(VALID)
def feature_map_field(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax != "editions":
        return None
    f = pick(ctx, [e for e in pf.els("map") if not e.opts])
    if not f:
        return None
    feat = "utf8_validation = NONE" if "string" in (f.key.v, f.value.v) else "repeated_field_encoding = EXPANDED"
    return out(ctx, pf.path, add_option(pf.text, f, "features." + feat), f.start, f"{f.fqn(pf.package)}: {feat}")


@kind(VALID)
def feature_remove(ctx):
    pf = ctx.pf(ctx.target)
    o = pick(ctx, [e for e in pf.els("option") if "features." in pf.text[e.start:e.end]])
    if o:
        return out(ctx, pf.path, delete_el(pf.text, o), o.start, f"drop {pf.text[o.start:o.end]}")
    f = pick(ctx, [e for e in pf.els("field", "map") if e.opts and "features." in pf.text[e.opts[0]:e.opts[1]]])
    if not f:
        return None
    return out(ctx, pf.path, edit(pf.text, f.opts[0], f.opts[1], ""), f.start, f"drop field options of {f.name}")


# ----------------------------------------------------------------- syntax changes
def _syntax_stmt(pf):
    s = [c for c in pf.root.children if c.kind in ("syntax", "edition")]
    return s[0] if s else None


def _set_syntax(pf, text, stmt):
    s = _syntax_stmt(pf)
    if s:
        return edit(text, s.start, s.end, stmt)
    return stmt + "\n" + text


def _rewrite_fields(pf, fn):
    """Apply fn(field) -> list of (start, end, new) edits to every field; returns new text."""
    edits = []
    for f in pf.els("field", "group"):
        if f.parent.kind in ("message", "group", "oneof", "extend"):
            edits.extend(fn(f))
    text = pf.text
    for a, b, new in sorted(edits, reverse=True):
        text = edit(text, a, b, new)
    return text, edits


def _opt_edit(pf, f, opt):
    if f.opts:
        return (f.opts[1] - 1, f.opts[1] - 1, ", " + opt)
    if f.kind == "group":
        return (f.body[0] - 1, f.body[0] - 1, f"[{opt}] ")
    return (f.end - 1, f.end - 1, f" [{opt}]")


@kind(VALID)
def syntax_proto3_to_proto2(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax != "proto3":
        return None
    text, _ = _rewrite_fields(pf, lambda f: [(f.type.s, f.type.s, "optional ")]
                              if f.label is None and not f.in_oneof() else [])
    stmt = 'syntax = "proto2";'
    s = _syntax_stmt(pf)
    text = edit(text, s.start, s.end, stmt)
    return out(ctx, pf.path, text, 1, "proto3 -> proto2")


@kind(VALID)
def syntax_proto2_to_proto3(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax != "proto2" or pf.els("group", "extensions") or re.search(r"\brequired\b|\bdefault\s*=", pf.text):
        return None
    text = _set_syntax(pf, pf.text, 'syntax = "proto3";')
    return out(ctx, pf.path, text, 1, "proto2 -> proto3")


@kind(VALID)
def syntax_proto3_to_editions(ctx):
    """Faithful: same presence for every field."""
    pf = ctx.pf(ctx.target)
    if pf.syntax != "proto3":
        return None

    def fn(f):
        if label(f) == "optional":
            return [(f.label.s, f.type.s, "")] + ([_opt_edit(pf, f, "features.field_presence = EXPLICIT")]
                                                 if f.type.v in SCALARS or True else [])
        return []
    text, _ = _rewrite_fields(pf, fn)
    s = _syntax_stmt(pf)
    text = edit(text, s.start, s.end, 'edition = "2023";\noption features.field_presence = IMPLICIT;')
    return out(ctx, pf.path, text, 1, "proto3 -> edition 2023 (faithful)")


@kind(VALID)
def syntax_proto3_to_editions_plain(ctx):
    """Unfaithful: just the edition line (presence becomes explicit)."""
    pf = ctx.pf(ctx.target)
    if pf.syntax != "proto3":
        return None
    text, _ = _rewrite_fields(pf, lambda f: [(f.label.s, f.type.s, "")] if label(f) == "optional" else [])
    s = _syntax_stmt(pf)
    text = edit(text, s.start, s.end, 'edition = "2023";')
    return out(ctx, pf.path, text, 1, "proto3 -> edition 2023 (no features)")


@kind(VALID)
def syntax_proto2_to_editions(ctx):
    """Faithful proto2 -> 2023 conversion (as protobuf's prototiller would)."""
    pf = ctx.pf(ctx.target)
    if pf.syntax != "proto2" or pf.els("group"):
        return None

    def fn(f):
        ed = []
        lab = label(f)
        if lab == "optional":
            ed.append((f.label.s, f.type.s, ""))
        elif lab == "required":
            ed.append((f.label.s, f.type.s, ""))
            ed.append(_opt_edit(pf, f, "features.field_presence = LEGACY_REQUIRED"))
        if f.opts:
            seg = pf.text[f.opts[0]:f.opts[1]]
            m = re.search(r"\bpacked\s*=\s*true", seg)
            if m:
                a = f.opts[0] + m.start()
                ed.append((a, a + len(m.group()), "features.repeated_field_encoding = PACKED"))
        return ed
    text, _ = _rewrite_fields(pf, fn)
    feats = ("\noption features.enum_type = CLOSED;\noption features.repeated_field_encoding = EXPANDED;"
             "\noption features.utf8_validation = NONE;\noption features.json_format = LEGACY_BEST_EFFORT;")
    text = _set_syntax(pf, text, 'edition = "2023";' + feats)
    return out(ctx, pf.path, text, 1, "proto2 -> edition 2023 (faithful)")


@kind(VALID)
def syntax_editions_2024(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax != "editions" or pf.edition != "2023":
        return None
    s = _syntax_stmt(pf)
    return out(ctx, pf.path, edit(pf.text, s.start, s.end, 'edition = "2024";'), 1, "edition 2023 -> 2024")


@kind(VALID)
def comment_edit(ctx):
    pf = ctx.pf(ctx.target)
    m = pick(ctx, pf.els("message", "enum", "service"))
    if not m:
        return None
    return out(ctx, pf.path, edit(pf.text, m.start, m.start, "// mutated comment\n"), m.start, "comment")


# ================================================================= INVALID (protoc must refuse)
@kind(INVALID)
def inv_allow_alias_without_alias(ctx):
    pf = ctx.pf(ctx.target)
    en = pick(ctx, [e for e in pf.els("enum") if "allow_alias" not in pf.text[e.start:e.end]])
    if not en:
        return None
    return out(ctx, pf.path, insert_in_body(pf.text, en, "option allow_alias = true;"), en.start, f"allow_alias in {en.name}")


@kind(INVALID)
def inv_features_in_proto(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax == "editions":
        return None
    return out(ctx, pf.path, insert_file_option(pf, "option features.utf8_validation = NONE;"), 1,
               f"features in a {pf.syntax} file")


@kind(INVALID)
def inv_features_on_field_in_proto(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax == "editions":
        return None
    f = pick(ctx, fields(pf))
    if not f:
        return None
    return out(ctx, pf.path, add_option(pf.text, f, "features.field_presence = EXPLICIT"), f.start,
               f"field features in a {pf.syntax} file")


@kind(INVALID)
def inv_json_name_on_extension(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, [e for e in pf.els("field") if e.parent.kind == "extend"])
    if not f:
        return None
    return out(ctx, pf.path, add_option(pf.text, f, 'json_name = "extJson"'), f.start, f"json_name on extension {f.name}")


@kind(INVALID)
def inv_jstype_non_64bit(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, fields(pf, lambda e: e.type.v in ("int32", "string", "bool", "uint32")))
    if not f:
        return None
    return out(ctx, pf.path, add_option(pf.text, f, "jstype = JS_STRING"), f.start, f"jstype on {f.type.v}")


@kind(INVALID)
def inv_lazy_on_scalar(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, fields(pf, lambda e: e.type.v in SCALARS))
    if not f:
        return None
    return out(ctx, pf.path, add_option(pf.text, f, "lazy = true"), f.start, f"lazy on {f.type.v}")


@kind(INVALID)
def inv_packed_on_singular(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax == "editions":
        return None
    f = pick(ctx, fields(pf, lambda e: singular(e) and e.type.v in INT_TYPES))
    if not f:
        return None
    return out(ctx, pf.path, add_option(pf.text, f, "packed = true"), f.start, "packed on singular")


@kind(INVALID)
def inv_packed_on_string(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax == "editions":
        return None
    f = pick(ctx, fields(pf, lambda e: label(e) == "repeated" and e.type.v not in NUMERIC))
    if not f:
        return None
    return out(ctx, pf.path, add_option(pf.text, f, "packed = true"), f.start, f"packed on repeated {f.type.v}")


@kind(INVALID)
def inv_extension_range_in_proto3(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax != "proto3":
        return None
    m = pick(ctx, pf.els("message"))
    if not m:
        return None
    n = free_number(m) + 100
    return out(ctx, pf.path, insert_in_body(pf.text, m, f"extensions {n} to {n + 10};"), m.start, "extensions in proto3")


@kind(INVALID)
def inv_reserved_name_in_use(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, fields(pf, kinds=("field", "map")))
    if not f:
        return None
    nm = f.name if pf.syntax == "editions" else f'"{f.name}"'
    return out(ctx, pf.path, insert_in_body(pf.text, f.message(), f"reserved {nm};"), f.start, f"reserve used name {f.name}")


@kind(INVALID)
def inv_reserved_number_in_use(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, fields(pf, kinds=("field", "map")))
    if not f:
        return None
    return out(ctx, pf.path, insert_in_body(pf.text, f.message(), f"reserved {f.num_tok.v};"), f.start,
               f"reserve used number {f.num_tok.v}")


@kind(INVALID)
def inv_reserved_reversed_range(ctx):
    pf = ctx.pf(ctx.target)
    m = pick(ctx, pf.els("message"))
    if not m:
        return None
    n = free_number(m) + 20
    return out(ctx, pf.path, insert_in_body(pf.text, m, f"reserved {n + 5} to {n};"), m.start, "reserved N+5 to N")


@kind(INVALID)
def inv_duplicate_extension_number(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, [e for e in pf.els("field") if e.parent.kind == "extend"])
    if not f:
        return None
    decl = pf.text[f.start:f.end]
    dup = decl[:f.name_tok.s - f.start] + f.name + "_dup" + decl[f.name_tok.e - f.start:]
    return out(ctx, pf.path, edit(pf.text, f.end, f.end, "\n  " + dup), f.start, f"duplicate extension number {f.num_tok.v}")


@kind(INVALID)
def inv_duplicate_field_number(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, fields(pf))
    if not f:
        return None
    lab = "optional " if pf.syntax == "proto2" else ""
    return out(ctx, pf.path, insert_in_body(pf.text, f.message(), f"{lab}int32 dup_number_x = {f.num_tok.v};"),
               f.start, f"duplicate field number {f.num_tok.v}")


@kind(INVALID)
def inv_duplicate_field_name(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, fields(pf))
    if not f:
        return None
    lab = "optional " if pf.syntax == "proto2" else ""
    n = free_number(f.message())
    return out(ctx, pf.path, insert_in_body(pf.text, f.message(), f"{lab}int32 {f.name} = {n};"),
               f.start, f"duplicate field name {f.name}")


@kind(INVALID)
def inv_lite_imported_by_nonlite(ctx):
    pf = ctx.pf(ctx.target)
    deps = [d for d in pf.imports if d in ctx.files and "LITE_RUNTIME" not in ctx.files[d]]
    if "LITE_RUNTIME" in pf.text or not deps:
        return None
    d = pick(ctx, deps)
    dp = ctx.pf(d)
    return {"files": {d: insert_file_option(dp, "option optimize_for = LITE_RUNTIME;")}, "file": d, "line": 1,
            "detail": f"{d} made lite, imported by non-lite {pf.path}"}


@kind(INVALID)
def inv_ctype_on_non_string(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, fields(pf, lambda e: e.type.v in INT_TYPES))
    if not f:
        return None
    return out(ctx, pf.path, add_option(pf.text, f, "ctype = CORD"), f.start, f"ctype on {f.type.v} ({pf.syntax})")


@kind(INVALID)
def inv_undefined_type(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, [e for e in pf.els("field") if e.parent.kind != "extend"])
    if not f:
        return None
    return out(ctx, pf.path, edit(pf.text, f.type.s, f.type.e, "NoSuchTypeX"), f.start, "undefined type")


@kind(INVALID)
def inv_field_number_zero(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, fields(pf))
    if not f:
        return None
    return out(ctx, pf.path, edit(pf.text, f.num_tok.s, f.num_tok.e, "0"), f.start, "field number 0")


@kind(INVALID)
def inv_field_number_reserved_range(ctx):
    pf = ctx.pf(ctx.target)
    f = pick(ctx, fields(pf))
    if not f:
        return None
    return out(ctx, pf.path, edit(pf.text, f.num_tok.s, f.num_tok.e, "19500"), f.start, "field number 19500")


@kind(INVALID)
def inv_proto3_first_enum_nonzero(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax != "proto3":
        return None
    en = pick(ctx, [e for e in pf.els("enum") if [c for c in e.children if c.kind == "enumvalue"]])
    if not en:
        return None
    v = [c for c in en.children if c.kind == "enumvalue"][0]
    nums = {c.num_tok.v for c in en.children if c.kind == "enumvalue" and c.num_tok}
    n = next(str(i) for i in range(1000, 2000) if str(i) not in nums)
    return out(ctx, pf.path, edit(pf.text, v.num_tok.s, v.num_tok.e, n), v.start, "proto3 first enum value != 0")


@kind(INVALID)
def inv_proto3_default(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax != "proto3":
        return None
    f = pick(ctx, fields(pf, lambda e: e.type.v in DEFAULTS and singular(e)))
    if not f:
        return None
    return out(ctx, pf.path, add_option(pf.text, f, f"default = {DEFAULTS[f.type.v]}"), f.start, "default in proto3")


@kind(INVALID)
def inv_proto3_required(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax != "proto3":
        return None
    f = pick(ctx, fields(pf, lambda e: e.label is None and not e.in_oneof()))
    if not f:
        return None
    return out(ctx, pf.path, edit(pf.text, f.type.s, f.type.s, "required "), f.start, "required in proto3")


@kind(INVALID)
def inv_group_in_proto3(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax != "proto3":
        return None
    m = pick(ctx, pf.els("message"))
    if not m:
        return None
    n = free_number(m)
    return out(ctx, pf.path, insert_in_body(pf.text, m, f"repeated group GroupX = {n} {{ int32 a = 1; }}"),
               m.start, "group in proto3")


@kind(INVALID)
def inv_json_name_conflict(ctx):
    pf = ctx.pf(ctx.target)
    m = pick(ctx, [e for e in pf.els("message") if len([c for c in e.children if c.kind == "field"]) >= 2])
    if not m:
        return None
    a, b = [c for c in m.children if c.kind == "field"][:2]
    return out(ctx, pf.path, add_option(pf.text, b, f'json_name = "{a.name}"'), b.start, "json_name conflict")


@kind(INVALID)
def inv_optional_label_in_editions(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax != "editions":
        return None
    f = pick(ctx, fields(pf, lambda e: e.label is None and not e.in_oneof()))
    if not f:
        return None
    return out(ctx, pf.path, edit(pf.text, f.type.s, f.type.s, "optional "), f.start, "optional label in editions")


@kind(INVALID)
def inv_implicit_presence_on_message_field(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax != "editions":
        return None
    msgs = {e.name for q in ctx.files for e in ctx.pf(q).els("message")}
    f = pick(ctx, fields(pf, lambda e: e.type.v.split(".")[-1] in msgs and singular(e)))
    if not f:
        return None
    return out(ctx, pf.path, add_option(pf.text, f, "features.field_presence = IMPLICIT"), f.start,
               "IMPLICIT presence on a message field")


@kind(INVALID)
def inv_enum_duplicate_number(ctx):
    pf = ctx.pf(ctx.target)
    en = pick(ctx, [e for e in pf.els("enum") if "allow_alias" not in pf.text[e.start:e.end]
                    and len([c for c in e.children if c.kind == "enumvalue"]) >= 1])
    if not en:
        return None
    v = [c for c in en.children if c.kind == "enumvalue"][0]
    return out(ctx, pf.path, edit(pf.text, v.end, v.end, f" {v.name}_DUPX = {v.num_tok.v};"), v.start,
               "duplicate enum number without allow_alias")


@kind(INVALID)
def inv_missing_import(ctx):
    pf = ctx.pf(ctx.target)
    return out(ctx, pf.path, add_import(pf, pf.text, "nope/missing.proto"), 1, "import of a missing file")


@kind(INVALID)
def inv_extension_outside_range(ctx):
    pf = ctx.pf(ctx.target)
    if not _proto2ish(pf):
        return None
    m = pick(ctx, [e for e in pf.els("message") if not [c for c in e.children if c.kind == "extensions"]])
    if not m:
        return None
    lab = "optional " if pf.syntax == "proto2" else ""
    text = pf.text + f"\nextend .{m.fqn(pf.package)} {{ {lab}int32 bad_ext_x = 5000; }}\n"
    return out(ctx, pf.path, text, len(pf.text), "extension of a message without ranges")


@kind(INVALID)
def inv_default_on_repeated(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax == "proto3":
        return None
    f = pick(ctx, fields(pf, lambda e: label(e) == "repeated" and e.type.v in DEFAULTS))
    if not f:
        return None
    return out(ctx, pf.path, add_option(pf.text, f, f"default = {DEFAULTS[f.type.v]}"), f.start, "default on repeated")


@kind(INVALID)
def inv_duplicate_message_name(ctx):
    pf = ctx.pf(ctx.target)
    m = pick(ctx, top_level(pf, "message"))
    if not m:
        return None
    return out(ctx, pf.path, pf.text + f"\nmessage {m.name} {{}}\n", m.start, f"duplicate message {m.name}")


@kind(INVALID)
def inv_map_in_oneof(ctx):
    pf = ctx.pf(ctx.target)
    o = pick(ctx, pf.els("oneof"))
    if not o:
        return None
    n = free_number(o.parent)
    return out(ctx, pf.path, insert_in_body(pf.text, o, f"map<string, string> map_in_oneof_x = {n};"), o.start,
               "map in oneof")


@kind(INVALID)
def inv_message_set_scalar_extension(ctx):
    pf = ctx.pf(ctx.target)
    if pf.syntax != "proto2":
        return None
    m = pick(ctx, top_level(pf, "message"))
    if not m:
        return None
    text = pf.text + ("\nmessage MsgSetX {\n  option message_set_wire_format = true;\n  extensions 4 to max;\n}\n"
                      "extend MsgSetX {\n  optional int32 scalar_in_set_x = 100;\n}\n")
    return out(ctx, pf.path, text, len(pf.text), "non-message extension of a message set")


@kind(INVALID)
def inv_edition_unknown(ctx):
    pf = ctx.pf(ctx.target)
    return out(ctx, pf.path, _set_syntax(pf, pf.text, 'edition = "2099";'), 1, "edition 2099")
