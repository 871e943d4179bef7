"""A small, forgiving scanner for .proto text, for bench/differential.py.

It does not validate anything: it finds the statements and blocks of a file
(messages, enums, services, oneofs, extend blocks, groups, fields, enum
values, rpcs, options, reserved, extensions) with their byte offsets, so that
a mutation can be applied as a text edit. Python 3 stdlib only.
"""
import re

TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<lc>//[^\n]*)
  | (?P<bc>/\*.*?\*/)
  | (?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<ident>\.?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<num>[0-9][A-Za-z0-9_.]*(?:[eE][+-]?[0-9]+)?)
  | (?P<sym>.)
""", re.S | re.X)

SCALARS = {"double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
           "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes"}
INT_TYPES = {"int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64",
             "sfixed32", "sfixed64"}
LABELS = {"optional", "required", "repeated"}


class Tok:
    __slots__ = ("k", "v", "s", "e")

    def __init__(self, k, v, s, e):
        self.k, self.v, self.s, self.e = k, v, s, e

    def __repr__(self):
        return f"Tok({self.v!r}@{self.s})"


def tokenize(text):
    out = []
    for m in TOKEN_RE.finditer(text):
        k = m.lastgroup
        if k in ("ws", "lc", "bc"):
            continue
        out.append(Tok(k, m.group(), m.start(), m.end()))
    return out


class El:
    """kind: file message enum service oneof extend group field map enumvalue rpc
    option reserved extensions syntax edition package import other"""

    def __init__(self, kind, parent, start, end=None):
        self.kind, self.parent, self.start, self.end = kind, parent, start, end
        self.name = ""
        self.children = []
        self.toks = []          # head tokens
        self.label = None       # field label token
        self.type = None        # field type token (or map '<K,V>' info)
        self.name_tok = None
        self.num_tok = None
        self.opts = None        # (start, end) offsets of '[' ... ']'
        self.body = None        # (offset after '{', offset of '}') for blocks
        self.key = self.value = None  # map key/value tokens

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    def fqn(self, package):
        parts = []
        el = self
        while el is not None and el.kind != "file":
            if el.kind in ("message", "enum", "service", "group"):
                parts.append(el.name)
            elif el.kind in ("field", "map", "enumvalue", "rpc") and el is self:
                parts.append(el.name)
            el = el.parent
        parts.reverse()
        return ".".join(([package] if package else []) + parts)

    def in_oneof(self):
        return self.parent is not None and self.parent.kind == "oneof"

    def message(self):
        """The message/group that owns a field (through a oneof)."""
        p = self.parent
        while p is not None and p.kind == "oneof":
            p = p.parent
        return p

    def __repr__(self):
        return f"El({self.kind} {self.name} {self.start}-{self.end})"


def _find_stmt_end(toks, i):
    """From toks[i], the index of the ';' or '{' that ends the head (depth 0 of ()[]<>)."""
    depth = 0
    k = i
    while k < len(toks):
        v = toks[k].v
        if v in "([":
            depth += 1
        elif v in ")]":
            depth -= 1
        elif depth == 0 and v in (";", "{", "}"):
            return k
        k += 1
    return k


def _skip_braces(toks, k):
    """toks[k] is '{': index after its matching '}'."""
    depth = 0
    while k < len(toks):
        if toks[k].v == "{":
            depth += 1
        elif toks[k].v == "}":
            depth -= 1
            if depth == 0:
                return k + 1
        k += 1
    return k


def _opts(head):
    for a, t in enumerate(head):
        if t.v == "[":
            depth = 0
            for b in range(a, len(head)):
                if head[b].v == "[":
                    depth += 1
                elif head[b].v == "]":
                    depth -= 1
                    if depth == 0:
                        return (t.s, head[b].e), a
            return (t.s, head[-1].e), a
    return None, len(head)


def _classify(el, head, container):
    v0 = head[0].v if head else ""
    if container == "file" and v0 in ("syntax", "edition", "package", "import"):
        el.kind = v0
        if v0 == "package" and len(head) > 1:
            el.name = head[1].v
        elif v0 in ("syntax", "edition"):
            s = [t for t in head if t.k == "str"]
            el.name = s[0].v.strip("\"'") if s else ""
        elif v0 == "import":
            s = [t for t in head if t.k == "str"]
            el.name = s[0].v.strip("\"'") if s else ""
        return
    if v0 in ("option", "reserved", "extensions"):
        el.kind = v0
        return
    if v0 in ("message", "enum", "service", "oneof") and len(head) > 1:
        el.kind = v0
        el.name = head[1].v
        el.name_tok = head[1]
        return
    if v0 == "extend" and len(head) > 1:
        el.kind = "extend"
        el.name = head[1].v
        el.type = head[1]
        return
    if v0 == "rpc" and len(head) > 1:
        el.kind = "rpc"
        el.name = head[1].v
        el.name_tok = head[1]
        return
    if container == "enum":
        if head and head[0].k == "ident":
            el.kind = "enumvalue"
            el.name = head[0].v
            el.name_tok = head[0]
            for a, t in enumerate(head):
                if t.v == "=" and a + 1 < len(head):
                    el.num_tok = head[a + 1] if head[a + 1].v != "-" else head[a + 2]
                    break
            el.opts, _ = _opts(head)
        return
    if container in ("message", "group", "oneof", "extend"):
        i = 0
        if head and head[0].v in LABELS:
            el.label = head[0]
            i = 1
        if i < len(head) and head[i].v == "group":
            el.kind = "group"
            el.type = head[i]
            el.name_tok = head[i + 1] if i + 1 < len(head) else None
            el.name = el.name_tok.v if el.name_tok else ""
            for a in range(i, len(head)):
                if head[a].v == "=" and a + 1 < len(head):
                    el.num_tok = head[a + 1]
                    break
            el.opts, _ = _opts(head)
            return
        if i < len(head) and head[i].v == "map" and i + 1 < len(head) and head[i + 1].v == "<":
            el.kind = "map"
            el.type = head[i]
            el.key = head[i + 2]
            el.value = head[i + 4] if i + 4 < len(head) else None
            j = i + 6
        else:
            el.kind = "field"
            if i >= len(head):
                el.kind = "other"
                return
            el.type = head[i]
            j = i + 1
        if j < len(head):
            el.name_tok = head[j]
            el.name = head[j].v
        if j + 2 < len(head) and head[j + 1].v == "=":
            el.num_tok = head[j + 2]
        el.opts, _ = _opts(head)
        if el.name_tok is None or el.num_tok is None:
            el.kind = "other"
        return
    el.kind = "other"


def parse(text):
    toks = tokenize(text)
    root = El("file", None, 0, len(text))
    root.body = (0, len(text))

    def body(parent, i, container):
        while i < len(toks):
            t = toks[i]
            if t.v == "}":
                return i
            if t.v == ";":
                i += 1
                continue
            k = _find_stmt_end(toks, i)
            head = toks[i:k]
            el = El("other", parent, t.s)
            el.toks = head
            if k >= len(toks):
                el.end = toks[-1].e
                _classify(el, head, container)
                parent.children.append(el)
                return k
            if toks[k].v == "{" and head and head[0].v == "option":
                # aggregate option value: option (x) = { ... };
                k2 = _skip_braces(toks, k)
                while k2 < len(toks) and toks[k2].v != ";":
                    k2 += 1
                el.kind = "option"
                el.end = toks[min(k2, len(toks) - 1)].e
                parent.children.append(el)
                i = k2 + 1
                continue
            if toks[k].v == "}":
                el.end = toks[k - 1].e if k > i else t.e
                _classify(el, head, container)
                parent.children.append(el)
                i = k
                continue
            _classify(el, head, container)
            parent.children.append(el)
            if toks[k].v == ";":
                el.end = toks[k].e
                i = k + 1
                continue
            # block
            sub = {"message": "message", "enum": "enum", "service": "service", "oneof": "oneof",
                   "extend": "extend", "group": "group", "rpc": "rpc"}.get(el.kind, "other")
            j = body(el, k + 1, sub)
            el.body = (toks[k].e, toks[j].s if j < len(toks) else len(text))
            el.end = toks[j].e if j < len(toks) else len(text)
            i = j + 1
            if el.kind == "rpc" and i < len(toks) and toks[i].v == ";":
                i += 1
        return i

    body(root, 0, "file")
    return root


class ProtoFile:
    def __init__(self, path, text):
        self.path, self.text = path, text
        self.root = parse(text)
        self.syntax = "proto2"
        self.edition = None
        self.package = ""
        self.imports = []
        for c in self.root.children:
            if c.kind == "syntax":
                self.syntax = c.name
            elif c.kind == "edition":
                self.syntax, self.edition = "editions", c.name
            elif c.kind == "package":
                self.package = c.name
            elif c.kind == "import":
                self.imports.append(c.name)

    def els(self, *kinds):
        return [e for e in self.root.walk() if e.kind in kinds]

    def line_of(self, off):
        return self.text.count("\n", 0, off) + 1

    def header_end(self):
        """Offset after the last syntax/package/import/option statement at file level."""
        end = 0
        for c in self.root.children:
            if c.kind in ("syntax", "edition", "package", "import", "option"):
                end = c.end
        return end


def edit(text, start, end, new):
    return text[:start] + new + text[end:]


def line_start(text, off):
    return text.rfind("\n", 0, off) + 1


def stmt_span(text, el):
    """start..end of an element including its leading indentation and trailing newline."""
    s = line_start(text, el.start)
    if text[s:el.start].strip():
        s = el.start
    e = el.end
    nl = text.find("\n", e)
    if nl != -1 and not text[e:nl].strip():
        e = nl + 1
    return s, e


def indent_of(text, el):
    s = line_start(text, el.start)
    ws = text[s:el.start]
    return ws if not ws.strip() else "  "


def add_option(text, el, opt):
    """Add `opt` (e.g. 'deprecated = true') to a field/enum value's [...] list."""
    if el.opts:
        a, b = el.opts
        return edit(text, b - 1, b - 1, ", " + opt)
    # before the ';' (fields) or the '{' (groups)
    end = el.end - 1 if el.kind != "group" else el.body[0] - 1
    if el.kind == "group":
        return edit(text, end, end, f" [{opt}] ")
    return edit(text, end, end, f" [{opt}]")


def insert_in_body(text, el, stmt):
    """Insert a statement at the start of a block's body (message/service/rpc), at the end for enums
    (a proto3 enum's first value must stay the zero one)."""
    a, b = el.body
    if el.kind == "enum":
        ind = indent_of(text, el) + "  "
        return edit(text, b, b, f"  {stmt}\n{indent_of(text, el)}")
    ind = indent_of(text, el) + "  "
    return edit(text, a, a, f"\n{ind}{stmt}")


def insert_file_option(pf, stmt):
    e = pf.header_end()
    return edit(pf.text, e, e, f"\n{stmt}\n")
