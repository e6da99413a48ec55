"""Stage 2, segment: the speech's outline (headings at every level), with sentences.

Heading labels of every numbering family the genre uses (rules/outline.yaml) are
found with one regex per family over the whole text, at a line start or right
after a sentence end (run-in headings). Candidates are then filtered (lists of
short `1、2、3、` items inside a paragraph, lone run-in items, run-ins in the
preamble), masked numbers (`*.`) are given the family of their siblings, and
levels come from a stack of open families: the first family met is level 1, a
new family met under it goes one level down, a family already open closes the
levels below it. Top-level sections get a role from cue words.
"""
from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field
from typing import Any

import regex

from . import lexicon
from .lexicon import rules
from .numbers import small_int
from .parts import Part, document_kind, find_parts, part_at
from .sentences import Sentence, split_sentences

_R = rules("outline.yaml")
_N = _R["numeral"]
_B = _R["boundary"]


def _compile(pat: str) -> regex.Pattern:
    return regex.compile(_B + pat.replace("{N}", _N), regex.MULTILINE)


FAMILIES: list[dict[str, Any]] = [
    {**f, "re": _compile(f["pattern"])} for f in _R["families"]
]
_FAM = {f["name"]: f for f in FAMILIES}
MASKED = [{**m, "re": _compile(m["pattern"])} for m in _R["masked"]]
_ORD = dict(_R["ordinals"])
_MAX_RUNIN = int(_R["max_runin_heading"])
_MAX_LINE = int(_R["max_line_heading"])
_MAX_ITEM = int(_R["max_item_heading"])
_LIST_BODY = float(_R["list_body_max"])
_TITLE_MAX = int(_R["title_max"])
_SALUTE = regex.compile(_R["salutation"], regex.MULTILINE)
_CLOSING = regex.compile(_R["closing"], regex.MULTILINE)
_W = _R["weights"]
ROLES = list(_R["roles"])
_ROLE_RE = {  # word lists: the standard library scans them faster (lexicon.words)
    role: lexicon.words("|".join(regex.escape(w) for w in sorted(words, key=len, reverse=True)))
    for role, words in _R["roles"].items()
}

_TERM = regex.compile(r"[。！？!?]")
_ITEM_END = regex.compile(r"[，,。；;：:！？!?]")
_SEMI = regex.compile(r"[；;]")
_CLAUSE_END = regex.compile(r"[，,；;：:]")
_SEP = regex.compile(r"[ \t]*")
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def _number(s: str) -> int | None:
    """Value of a label's number: 三 → 3, 十二 → 12, ④ → 4, 其次 → 2; masked → None."""
    if s in _ORD:
        return _ORD[s]
    if s in _CIRCLED:
        return _CIRCLED.index(s) + 1
    return small_int(s)


@dataclass
class Node:
    level: int
    label: str
    heading: str
    start: int
    head_end: int
    end: int
    path: str
    parent: int | None = None
    role: str = "other"
    family: str = ""
    number: int | None = None  # value of the label (None when masked)
    masked: bool = False  # the number was hidden (`*.`)
    runin: bool = False  # the heading runs into its paragraph (ends with 。 inside the line)


Span = tuple[int, int]


@dataclass
class Outline:
    text: str
    nodes: list[Node] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    title: Span | None = None
    salutation: Span | None = None
    preamble: Span | None = None
    closing: Span | None = None
    kind: str = "speech"  # speech, work_report, news, minutes, notice, division (pipeline/parts.py)
    parts: list[Part] = field(default_factory=list)  # the review and plan parts
    _starts: list[int] = field(default_factory=list, repr=False)
    _sections: dict[int, tuple[list[str], str]] = field(default_factory=dict, repr=False, compare=False)

    def node_at(self, offset: int) -> Node | None:
        """The deepest node whose span [start, end) holds offset."""
        starts = self._starts if len(self._starts) == len(self.nodes) else [n.start for n in self.nodes]
        i: int | None = bisect.bisect_right(starts, offset) - 1
        while i is not None and i >= 0:
            n = self.nodes[i]
            if offset < n.end:
                return n
            i = n.parent
        return None

    def chain(self, node: Node) -> list[Node]:
        out = []
        cur: Node | None = node
        while cur is not None:
            out.append(cur)
            cur = self.nodes[cur.parent] if cur.parent is not None else None
        out.reverse()
        return out

    def section_of(self, offset: int) -> tuple[list[str], str]:
        """(heading texts from the top level down, role of the top-level section)."""
        node = self.node_at(offset)
        if node is None:
            return [], "other"
        key = id(node)  # asked for every sentence and record: each node's chain is walked once
        if key not in self._sections:
            chain = self.chain(node)
            self._sections[key] = ([n.heading for n in chain], chain[0].role)
        heads, role = self._sections[key]
        return list(heads), role

    def part_at(self, offset: int) -> str | None:
        """review or plan: the part of the document that holds `offset` (None outside any)."""
        p = part_at(self.parts, offset)
        return p.role if p else None

    def top(self) -> list[Node]:
        return [n for n in self.nodes if n.level == 1]

    def children(self, index: int) -> list[Node]:
        return [n for n in self.nodes if n.parent == index]

    def span_text(self, span: Span | None) -> str | None:
        return None if span is None else self.text[span[0] : span[1]]


# ---------------------------------------------------------------- candidates


@dataclass
class _Cand:
    start: int
    label: str
    num_raw: str
    family: str
    kind: str
    masked: bool
    line_start: bool
    line_end: int
    heading: str = ""
    h_start: int = 0
    h_end: int = 0
    runin: bool = False
    classes: tuple[str, ...] = ()


def _line_bounds(text: str, pos: int) -> tuple[int, int]:
    ls = text.rfind("\n", 0, pos) + 1
    le = text.find("\n", pos)
    return ls, (len(text) if le < 0 else le)


def _build_scanner() -> tuple[regex.Pattern, list[tuple[str, str, tuple[str, ...], bool]]]:
    """One regex for every family: boundary, then an alternation of named labels."""
    alts, meta = [], []
    for i, f in enumerate([*FAMILIES, *MASKED]):
        pat = f["pattern"].replace("{N}", _N)
        pat = pat.replace("(?P<label>", f"(?P<label{i}>").replace("(?P<num>", f"(?P<num{i}>")
        alts.append(pat)
        masked = "name" not in f
        meta.append(("" if masked else f["name"], "numbered" if masked else f["kind"],
                     tuple(f.get("families", ())) if masked else (), bool(f.get("after_comma"))))
    return regex.compile(_B + "(?:" + "|".join(alts) + ")", regex.MULTILINE), meta


_SCAN, _SCAN_META = _build_scanner()


def _raw_candidates(text: str) -> list[_Cand]:
    out: list[_Cand] = []
    for m in _SCAN.finditer(text):
        name = m.lastgroup or ""  # num{i} is nested in label{i}: label{i} closes last
        gi = int(name[5:]) if name.startswith("label") else next(
            k for k in range(len(_SCAN_META)) if m.start(f"label{k}") >= 0)
        fam, kind, classes, after_comma = _SCAN_META[gi]
        st = m.start(f"label{gi}")
        ls, le = _line_bounds(text, st)
        before = text[ls:st].rstrip(" \t").rstrip("”’」』）)")[-1:]
        if before in "，," and before and not after_comma:
            continue
        if before in "；;" and before and kind == "numbered":
            continue  # `…；3、抓环境。` — an item of a list
        out.append(_Cand(st, m.group(f"label{gi}"), m.group(f"num{gi}"), fam, kind, not fam,
                         not text[ls:st].strip(), le, h_start=m.end(), classes=classes))
    return out


def _read_heading(text: str, c: _Cand) -> bool:
    """Fill in the heading text of a candidate; False when it is not a heading."""
    hs = _SEP.match(text, c.h_start).end()
    le = c.line_end
    rest_len = le - hs
    if rest_len <= 0:
        return False
    if c.family == "shi":
        m = _ITEM_END.search(text, hs, min(le, hs + _MAX_ITEM + 1))
        he = m.start() if m else min(le, hs + _MAX_ITEM)
        c.runin = True
    elif c.family in ("diyi", "shouxian"):
        m = _TERM.search(text, hs, min(le, hs + _MAX_ITEM + 1))
        if m is None:
            m = _ITEM_END.search(text, hs, min(le, hs + _MAX_ITEM + 1))
        he = m.start() if m else min(le, hs + _MAX_ITEM)
        c.runin = m is not None and m.start() < le - 1
    else:
        m = _TERM.search(text, hs, min(le, hs + _MAX_RUNIN + 1))
        if m is not None:
            he = m.start()
            if _SEMI.search(text, hs, he):
                return False  # `1、抓项目；2、…。` — list items
            c.runin = text[m.end() : le].strip() != ""
        elif not c.line_start:
            return False  # inside a paragraph a heading must end with 。 soon
        elif rest_len <= _MAX_LINE and not _TERM.search(text, hs, le):
            he = le  # a whole-line heading
            if text[hs:le].rstrip().endswith(("；", ";", "，", ",")):
                return False  # a list line `1、抓项目；`
        else:
            # a numbered paragraph with no short heading sentence: its first clause
            m2 = _CLAUSE_END.search(text, hs, min(le, hs + _MAX_ITEM + 1))
            he = m2.start() if m2 else min(le, hs + _MAX_ITEM)
            c.runin = True
        if c.family == "yao":
            c.runin = True
    while he > hs and text[he - 1] in " \t":
        he -= 1
    if he <= hs:
        return False
    c.heading, c.h_start, c.h_end = text[hs:he], hs, he
    return True


def _drop_lists(text: str, cands: list[_Cand]) -> list[_Cand]:
    """Numbered items several to a line with short bodies: a list, not headings."""
    groups: dict[tuple[int, str], list[int]] = {}
    for i, c in enumerate(cands):
        if c.kind == "numbered":
            groups.setdefault((c.line_end, c.family or c.classes[0]), []).append(i)
    drop: set[int] = set()
    for idxs in groups.values():
        if len(idxs) < 2:
            continue
        bodies = []
        for k, i in enumerate(idxs):
            nxt = cands[idxs[k + 1]].start if k + 1 < len(idxs) else cands[i].line_end
            bodies.append(len(text[cands[i].h_end : nxt].strip("。！？!? \t")))
        if sum(bodies) / len(bodies) < _LIST_BODY:
            drop.update(idxs)
    return [c for i, c in enumerate(cands) if i not in drop]


def _resolve_masked(cands: list[_Cand]) -> None:
    """Give a masked label the family of the nearest sibling written the same way."""
    for i, c in enumerate(cands):
        if not c.masked:
            continue
        nxt = [d for d in cands[i + 1 :] if not d.masked and d.family in c.classes]
        prv = [d for d in reversed(cands[:i]) if not d.masked and d.family in c.classes]
        same = lambda d: d.runin == c.runin  # noqa: E731
        pick = (next((d for d in nxt if same(d)), None) or next((d for d in prv if same(d)), None)
                or (nxt[0] if nxt else None) or (prv[0] if prv else None))
        c.family = pick.family if pick else c.classes[0]


def _keep_runins(cands: list[_Cand]) -> list[_Cand]:
    """Run-in items need a sibling in the same block; none before the first numbered heading."""
    first_numbered = next((c.start for c in cands if c.kind == "numbered"), None)
    out: list[_Cand] = []
    block: list[_Cand] = []

    def flush() -> None:
        by_fam: dict[str, set[int]] = {}
        for c in block:
            n = _number(c.num_raw)
            by_fam.setdefault(c.family, set()).add(n if n is not None else -1)
        for c in block:
            nums = by_fam[c.family]
            n = _number(c.num_raw)
            if c.family == "shouxian":
                ok = len(nums) >= 2 and (1 in nums or 2 in nums)
            else:
                # a neighbour number (a skip of one is tolerated: 一要, 二要, 四要)
                ok = n is not None and any((n + d) in nums for d in (-2, -1, 1, 2))
            if ok:
                out.append(c)
        block.clear()

    for c in cands:
        if c.kind == "numbered":
            flush()
            out.append(c)
        elif first_numbered is None or c.start > first_numbered:
            block.append(c)
    flush()
    out.sort(key=lambda c: c.start)
    return out


# ---------------------------------------------------------------- roles


def _role_scores(text: str, head: str, subs: list[str], body: Span) -> dict[str, float]:
    blen = max(1, body[1] - body[0])
    scores = {}
    for role, rx in _ROLE_RE.items():
        h = len(rx.findall(head))
        s = sum(len(rx.findall(x)) for x in subs)
        counts: dict[str, int] = {}
        for w in rx.findall(text, body[0], body[1]):
            counts[w] = counts.get(w, 0) + 1
        b = sum(min(v, _W.get("body_cap", 10**9)) for v in counts.values())
        scores[role] = _W["heading"] * h + _W["sub"] * s + _W["body"] * b * 1000 / blen
    return scores


def classify(text: str, head: str, subs: list[str] | None = None, body: Span | None = None) -> str:
    """Role of a section from its heading, its subsection headings and its body."""
    scores = _role_scores(text, head, subs or [], body or (0, 0))
    best = max(scores.values())
    if best <= 0:
        return "other"
    tied = [r for r in ROLES if scores[r] == best]
    if len(tied) > 1:  # the cue that comes first in the heading wins
        pos = {r: (m.start() if (m := _ROLE_RE[r].search(head)) else 10**9) for r in tied}
        tied.sort(key=lambda r: pos[r])
    return tied[0]


# ---------------------------------------------------------------- segment


def segment(text: str, year: int | None = None) -> Outline:
    """The outline of `text`: headings, sections and their roles, sentences, and the
    document's kind and parts (`year`: the document's own, when known)."""
    cands = [c for c in _raw_candidates(text) if _read_heading(text, c)]
    _resolve_masked(cands)
    cands = _drop_lists(text, cands)
    cands = _keep_runins(cands)

    nodes: list[Node] = []
    stack: list[tuple[str, int]] = []  # (family, node index) per open level
    for c in cands:
        if c.kind == "numbered":
            while stack and _FAM[stack[-1][0]]["kind"] == "runin":
                stack.pop()  # run-in items never parent a numbered heading
        fams = [f for f, _ in stack]
        if c.family in fams:
            del stack[fams.index(c.family) :]
        parent = stack[-1][1] if stack else None
        level = len(stack) + 1
        label = c.label
        path = (nodes[parent].path + "/" if parent is not None else "") + label
        nodes.append(Node(level, label, c.heading, c.start, c.h_end, len(text), path, parent,
                          family=c.family, number=_number(c.num_raw), masked=c.masked, runin=c.runin))
        stack.append((c.family, len(nodes) - 1))

    out = Outline(text=text, nodes=nodes, sentences=split_sentences(text))
    _frame(out)

    # ends: the next node at the same or a higher level, the closing, or the end of text
    limit = out.closing[0] if out.closing else len(text)
    open_: list[int] = []
    for i, n in enumerate(nodes):
        while open_ and nodes[open_[-1]].level >= n.level:
            nodes[open_.pop()].end = n.start
        open_.append(i)
    for i in open_:
        nodes[i].end = limit
    for n in nodes:
        n.end = min(n.end, limit) if n.start < limit else n.end
        if n.family == "shi":  # 一是… items end with their paragraph
            n.end = min(n.end, _line_bounds(text, n.start)[1])
        if n.parent is not None:
            n.end = min(n.end, nodes[n.parent].end)
        n.end = max(n.end, n.head_end)
    _trim_ends(text, nodes)

    subs_of: dict[int, list[str]] = {}
    for n in nodes:
        if n.parent is not None:
            subs_of.setdefault(n.parent, []).append(n.heading)
    for i, n in enumerate(nodes):
        if n.level == 1:
            subs = subs_of.get(i, [])
            n.role = classify(text, n.heading, subs, (n.head_end, n.end))
    for n in nodes:  # parents come before children
        if n.parent is not None:
            n.role = nodes[n.parent].role
    out._starts = [n.start for n in nodes]
    out.kind = document_kind(text)
    out.parts = find_parts(text, [(n.start, n.heading) for n in nodes if n.level == 1], year)
    return out


def _trim_ends(text: str, nodes: list[Node]) -> None:
    for n in nodes:
        e = n.end
        while e > n.head_end and text[e - 1] in " \t\n":
            e -= 1
        n.end = e


def _frame(out: Outline) -> None:
    """Title, salutation, preamble and closing spans."""
    text = out.text
    first = out.nodes[0].start if out.nodes else len(text)
    first_top = next((n.start for n in out.nodes if n.level == 1), None)
    pos = 0
    m = regex.compile(r"[^\n]*\S[^\n]*").search(text, 0, first + 1)
    if m:
        line = m.group(0).strip()
        s = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
        if (len(line) <= _TITLE_MAX and not _TERM.search(line) and not _SALUTE.match(line)
                and s < first and not line.endswith(("：", ":"))):
            out.title = (s, s + len(line))
            pos = s + len(line)
    sm = _SALUTE.search(text, pos, min(len(text), pos + 400))
    if sm and sm.end() <= first and not text[pos : sm.start()].strip():
        s = sm.start() + (len(sm.group(0)) - len(sm.group(0).lstrip()))
        out.salutation = (s, sm.end())
        pos = sm.end()
    if first_top is not None:
        body = text[pos:first_top]
        if body.strip():
            a = pos + (len(body) - len(body.lstrip()))
            b = pos + len(body.rstrip())
            out.preamble = (a, b)
        last_top = max(n.start for n in out.nodes if n.level == 1)
        cm = _CLOSING.search(text, last_top + 1)
        if cm:
            s = cm.start() + (len(cm.group(0)) - len(cm.group(0).lstrip()))
            out.closing = (s, len(text.rstrip()))


# ---------------------------------------------------------------- output


def to_json(outline: Outline) -> dict[str, Any]:
    """The outline as plain data: frame spans and every node with its text."""

    def span(s: Span | None) -> dict | None:
        return None if s is None else {"start": s[0], "end": s[1], "text": outline.text[s[0] : s[1]]}

    nodes = []
    for i, n in enumerate(outline.nodes):
        d = asdict(n)
        d["index"] = i
        nodes.append(d)
    return {
        "title": span(outline.title),
        "salutation": span(outline.salutation),
        "preamble": span(outline.preamble),
        "closing": span(outline.closing),
        "nodes": nodes,
        "sentences": len(outline.sentences),
        "kind": outline.kind,
        "parts": [{"role": p.role, "start": p.start, "end": p.end, "cue": p.cue} for p in outline.parts],
    }


_ROLE_STYLE = {"achievements": "green", "problems": "red", "tasks": "cyan", "conduct": "magenta", "other": "dim"}


def rich_tree(outline: Outline, title: str = "outline"):
    """The outline as a rich Tree: one branch per heading, roles on top-level sections."""
    from rich.markup import escape
    from rich.tree import Tree

    tree = Tree(f"[bold]{escape(title)}[/bold]")
    if outline.preamble:
        tree.add(f"[dim]preamble ({outline.preamble[1] - outline.preamble[0]} chars)[/dim]")
    branches: dict[int, Tree] = {}
    for i, n in enumerate(outline.nodes):
        label = escape(f"{n.label} {n.heading}")
        if n.level == 1:
            style = _ROLE_STYLE.get(n.role, "")
            text = f"[bold]{label}[/bold] [{style}]\\[{n.role}][/{style}]"
        else:
            text = label
        parent = branches.get(n.parent) if n.parent is not None else tree
        branches[i] = (parent or tree).add(text)
    if outline.closing:
        tree.add(f"[dim]closing ({outline.closing[1] - outline.closing[0]} chars)[/dim]")
    return tree
