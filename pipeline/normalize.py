"""Stage 1, normalize: bytes or text in, a clean Simplified `Document` out.

Steps, each keeping an offset map back to the decoded source:
decode (a mostly-UTF-8 file keeps UTF-8, its bad bytes counted) → HTML body →
invisible characters (zero-width, direction marks, U+FFFD) → pinyin glosses →
Traditional→Simplified (OpenCC t2s) → width and punctuation → layout (line
breaks that collapsed into spaces, infographic captions, spaces inside number
and word runs; rules/layout.yaml) → site furniture → page markers →
rewriting-tool swaps.
Placeholders (*, X, XX, ××, □ …) are kept and listed. Metadata is inferred
(see `meta.py`) and may be overridden by a sidecar file.
"""
from __future__ import annotations

import hashlib
import html
import json
import os
import re
import stat
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import regex

from . import lexicon
from .offsets import OffsetMap, Pieces, substitute

MAX_BYTES = 200 * 1024 * 1024  # larger files are refused with a clear message (checked while reading)
PIPE_TIMEOUT = 10.0  # seconds a pipe may stay silent (a FIFO nobody writes to) before it is refused


class InputError(Exception):
    """A file that cannot be read as a speech; the message names file and reason."""

    def __init__(self, path: str | Path | None, reason: str):
        self.path = str(path) if path else "<text>"
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self):  # picklable (raised in worker processes): rebuild from path and reason
        return (type(self), (self.path, self.reason))


@dataclass
class Document:
    doc_id: str  # file name without extension
    text: str  # clean Simplified text
    source: str  # decoded original text
    offsets: OffsetMap
    encoding: str
    script: str  # simplified | traditional | mixed
    path: str | None = None
    sha256: str = ""
    placeholders: list[tuple[int, int]] = field(default_factory=list)
    repairs: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Character span of the decoded source that clean text[start:end] came from."""
        return self.offsets.span_to_source(start, end)

    def source_bytes_span(self, start: int, end: int) -> tuple[int, int]:
        """Byte span in the original file (in its detected encoding)."""
        s, e = self.source_span(start, end)
        enc = "utf-8" if self.encoding in ("mixed", "utf-8-sig") else self.encoding
        bom = 3 if self.encoding == "utf-8-sig" else (2 if self.encoding.startswith("utf-16") else 0)
        enc = {"utf-16": "utf-16-le"}.get(enc, enc)
        head = self.source[:s].encode(enc, "replace")
        return bom + len(head), bom + len(head) + len(self.source[s:e].encode(enc, "replace"))

    def is_masked(self, start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in self.placeholders)


# ---------------------------------------------------------------- decoding

_MAGIC = {
    b"%PDF": "a PDF file: convert it to text first (e.g. pdftotext)",
    b"PK\x03\x04": "a ZIP/DOCX/XLSX file: save it as plain text first",
    b"\x89PNG": "a PNG image, not text",
    b"\xff\xd8\xff": "a JPEG image, not text",
    b"GIF8": "a GIF image, not text",
    b"\xd0\xcf\x11\xe0": "an old Word/Excel (OLE) file: save it as plain text first",
    b"\x7fELF": "an executable, not text",
}
# Frequent Han characters of the genre, in both scripts: a decoding that yields
# many of them is the right one (GB18030 accepts almost any byte pairs).
_COMMON = set(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而"
    "方后多定行学法所民得经十三之进着等部度家力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开"
    "合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反明看原又么利比或但质气第向道此变条只"
    "没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资"
    "边流路级少图山统接知较将组见计别手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北"
    "造百规热领七海口东导器压志世金增争济阶思术极交受联认六共权收证改清己美再采转更单风切打教速花带安场身车例真"
    "务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且"
    "究观越织装影算低持音众书布复容须际商非验连断深难近千周委素技备半办青省列习响约支般史感劳便团往历市克何除消"
    "构府称太准精值号率族维划选标写存候亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局"
    "照参红细引听该铁价严龙飞這個為們來時對會說經動發頭與關當從實點樣現體麼過還產長開資無進黨際種頭區設導義國"
)


def _han_score(text: str) -> float:
    sample = text[:20000]
    if not sample:
        return 0.0
    common = sum(1 for ch in sample if ch in _COMMON)
    bad = sample.count("\ufffd") + sum(1 for ch in sample if "\ue000" <= ch <= "\uf8ff")
    return (common - 5 * bad) / len(sample)


def decode(data: bytes, path: str | Path | None = None) -> tuple[str, str]:
    """Decode bytes of a speech; return (text, encoding used). Raises InputError."""
    if not data.strip():
        raise InputError(path, "empty file" if not data else "the file holds only white space")
    if len(data) > MAX_BYTES:
        raise InputError(path, f"file too large ({len(data) // 2**20} MiB > {MAX_BYTES // 2**20} MiB)")
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise InputError(path, f"not a text file: {what}")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as err:
            raise InputError(path, f"broken UTF-16 text ({err.reason} at byte {err.start})") from None
    if b"\x00" in data[:4096]:
        # UTF-16 without BOM shows a NUL every other byte in ASCII parts; Chinese text
        # has few of them, so both byte orders are tried (likelier first) and judged by
        # their common characters
        even, odd = data[0:4096:2].count(0), data[1:4096:2].count(0)
        for enc in (("utf-16-le", "utf-16-be") if odd >= even else ("utf-16-be", "utf-16-le")):
            try:
                text = data.decode(enc)
                if _han_score(text) > 0.05:
                    return text, enc
            except UnicodeDecodeError:
                pass
        raise InputError(path, "binary data (NUL bytes), not a text file")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # line by line: UTF-8, UTF-8 with a few damaged bytes, or another encoding (GBK lines glued in)
    lines, n_utf8, n_other = [], 0, 0
    for raw in data.splitlines(keepends=True):
        try:
            lines.append(raw.decode("utf-8"))
            n_utf8 += 1
        except UnicodeDecodeError:
            damaged = _damaged_utf8(raw)
            if damaged is not None:
                lines.append(damaged)
                n_utf8 += 1
            else:
                lines.append(raw.decode("gb18030", "replace"))
                n_other += 1
    if not n_other:
        # mostly valid UTF-8: the damaged bytes become U+FFFD (removed and counted by normalize_text)
        return "".join(lines), "utf-8"
    candidates = []
    for enc in ("gb18030", "big5"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        candidates.append((_han_score(text), enc, text))
    # mixed files: lines of UTF-8 and GBK glued together
    if 0 < n_utf8 < len(lines) and any(not ln.isascii() for ln in lines if ln):
        mixed = "".join(lines)
        candidates.append((_han_score(mixed) + 0.001, "mixed", mixed))
    if not candidates:
        raise InputError(path, "cannot decode as UTF-8, GB18030/GBK, Big5 or UTF-16")
    score, enc, text = max(candidates)
    if score < 0.05:
        raise InputError(path, f"does not look like Chinese text (best guess {enc}, few common characters)")
    return text, enc


def _damaged_utf8(raw: bytes) -> str | None:
    """A line that is UTF-8 but for a few bad bytes, decoded with each bad byte as U+FFFD;
    None when the line is in another encoding. Bytes of GBK or Big5 text are seldom valid
    UTF-8: in such a line the bad bytes outnumber the good multi-byte characters."""
    text = raw.decode("utf-8", "replace")
    bad = text.count("\ufffd") - raw.count(b"\xef\xbf\xbd")
    ascii_ = len(raw.translate(None, _HIGH_BYTES))  # (ASCII bytes decode to themselves)
    good = len(text) - ascii_ - text.count("\ufffd")
    return text if good >= _DAMAGE_RATIO * bad else None


_HIGH_BYTES = bytes(range(128, 256))
_DAMAGE_RATIO = 4  # good non-ASCII characters a line needs for each bad byte to count as damaged UTF-8


# ---------------------------------------------------------------- HTML


class _BodyParser(HTMLParser):
    """Collect text runs with their source offsets, skipping page chrome."""

    SKIP = {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "select", "button", "iframe", "svg", "head", "title"}
    BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "table", "ul", "ol", "blockquote", "pre", "dd", "dt"}
    BODY_HINT = regex.compile(r"(article|content|正文|main|detail|text|post|entry|news_?con|zoom)", regex.I)

    def __init__(self, line_starts: list[int]):
        super().__init__(convert_charrefs=False)
        self.line_starts = line_starts
        self.runs: list[tuple[str, int, int, int]] = []  # text, src start, src end, depth of body hint
        self.skip = 0
        self.stack: list[tuple[str, bool]] = []
        self.hint = 0
        self.title = ""
        self._in_title = False

    def _pos(self) -> int:
        line, col = self.getpos()
        return self.line_starts[line - 1] + col

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        if tag == "title":
            self._in_title = True
        marker = " ".join(v or "" for k, v in attrs if k in ("class", "id"))
        hinted = bool(self.BODY_HINT.search(marker)) or tag == "article"
        if tag not in ("br", "img", "meta", "link", "input", "hr"):
            self.stack.append((tag, hinted))
            self.hint += hinted
        if tag in self.BLOCK:
            p = self._pos()
            self.runs.append(("\n", p, p, self.hint))

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        if tag == "title":
            self._in_title = False
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                for _, h in self.stack[i:]:
                    self.hint -= h
                del self.stack[i:]
                break
        if tag in self.BLOCK:
            p = self._pos()
            self.runs.append(("\n", p, p, self.hint))

    def _text(self, text: str, raw_len: int):
        p = self._pos()
        if self._in_title:
            self.title += text
        if self.skip:
            return
        self.runs.append((text, p, p + raw_len, self.hint))

    def handle_data(self, data):
        self._text(data, len(data))

    def handle_entityref(self, name):
        self._text(html.unescape(f"&{name};"), len(name) + 2)

    def handle_charref(self, name):
        self._text(html.unescape(f"&#{name};"), len(name) + 3)


_HTML_SNIFF = regex.compile(r"<(!doctype\s+html|html|body|div|p|head|meta)[\s>]", regex.I)


def looks_like_html(text: str) -> bool:
    head = text[:4096]
    return bool(_HTML_SNIFF.search(head)) and head.count("<") > 3


def html_body(text: str) -> tuple[str, Pieces, str]:
    """Text of the article body of an HTML page, its piece map, and <title>."""
    line_starts = [0]
    for m in regex.finditer(r"\n", text):
        line_starts.append(m.end())
    parser = _BodyParser(line_starts)
    parser.feed(text)
    parser.close()
    runs = parser.runs
    if any(h for t, *_, h in runs if t.strip()):
        hinted = [r for r in runs if r[3]]
        han = sum(len(regex.findall(r"\p{Han}", t)) for t, *_ in hinted)
        total = sum(len(regex.findall(r"\p{Han}", t)) for t, *_ in runs)
        if han >= 0.3 * total:
            runs = hinted
    out: list[str] = []
    pieces = Pieces()
    n = 0
    for t, s, e, _ in runs:
        if t == "\n":
            if out and not out[-1].endswith("\n"):
                out.append("\n")
                pieces.add(n, n + 1, s, s)
                n += 1
            continue
        t2 = regex.sub(r"[ \t\r\n\u3000\xa0]+", " ", t) if len(t) == e - s else t
        if len(t2) != len(t):  # whitespace folded: keep one piece for the run
            pieces.add(n, n + len(t2), s, e)
        else:
            pieces.add(n, n + len(t2), s, e)
        out.append(t2)
        n += len(t2)
    return "".join(out), pieces, parser.title.strip()


# ---------------------------------------------------------------- steps

_PINYIN = regex.compile(r"(?<=\p{Han})[(（][a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňḿ]{1,7}[)）]")
_FULLWIDTH = {**{chr(0xFF10 + i): str(i) for i in range(10)}, **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
              **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)}, "％": "%", "＊": "*", "．": ".", "＋": "+",
              "－": "-", "／": "/", "\u3000": " ", "\xa0": " ", "～": "~", "\u2002": " ", "\u2003": " "}
_WIDTH_TABLE = str.maketrans(_FULLWIDTH)
# half-width punctuation inside Chinese text → full width (same length, offsets exact)
_HALF_COMMA = regex.compile(r",(?!\d{3}(?!\d))|(?<!\d),")
_HALF_COLON = regex.compile(r"(?<!\d):|:(?!\d)")
_HALF_OTHER = {";": "；", "(": "（", ")": "）", "?": "？", "!": "！"}
_HALF_OTHER_AT = regex.compile(r"[;()?!]")
# runs of the characters _WIDTH_TABLE folds: translating only these is far cheaper than the whole text
_WIDE = re.compile("[" + "".join(re.escape(c) for c in _FULLWIDTH) + "]+")  # (a class: the standard scanner is faster)
_CJK_NEAR = regex.compile(r"[\p{Han}“”‘’、，。：；！？（）《》]")

_PLACEHOLDER = regex.compile(
    r"[*＊]+|(?<![A-Za-z])(?:[Xx]{1,3}|[×]{1,3})(?![A-Za-z])|□+|○○+|(?<![a-z])ooo?(?![a-z])|_{3,}|…{0,1}×+"
)


# the first character of every _PLACEHOLDER alternative: a text without one has no placeholder
_PLACEHOLDER_CHAR = regex.compile(r"[*＊Xx×□○o_…]")


def _t2s(text: str) -> tuple[str, str]:
    """Convert to Simplified; return (text, script of the input)."""
    conv = _opencc().convert(text)
    if len(conv) != len(text):  # phrase tables should keep length; be safe if not
        conv = "".join(_opencc().convert(ch) for ch in text)
    head, conv_head = text[:50000], conv[:50000]
    changed = 0 if head == conv_head else _differing(head, conv_head)
    ratio = changed / (han_count(head) or 1) if changed else 0.0
    script = "traditional" if ratio > 0.05 else ("mixed" if ratio > 0.004 else "simplified")
    return conv, script


def _differing(a: str, b: str, block: int = 256) -> int:
    """How many positions of two equally long strings differ: blocks that are equal (most of a
    Simplified text, compared in C) are skipped, the others compared character by character."""
    n = 0
    for i in range(0, len(a), block):
        x, y = a[i : i + block], b[i : i + block]
        if x != y:
            n += sum(map(str.__ne__, x, y))
    return n


_CC = None


def _opencc():
    global _CC
    if _CC is None:
        from opencc_pyo3 import OpenCC

        _CC = OpenCC("t2s")
    return _CC


def _width(text: str) -> str:
    if _WIDE.search(text):
        text = _WIDE.sub(lambda m: m.group().translate(_WIDTH_TABLE), text)
    if "," in text:  # (the patterns open with lookarounds: the literal test is far cheaper)
        text = _HALF_COMMA.sub("，", text)
    if ":" in text:
        text = _HALF_COLON.sub("：", text)
    if not _HALF_OTHER_AT.search(text):
        return text
    chars = list(text)
    for m in _HALF_OTHER_AT.finditer(text):
        i = m.start()
        if _CJK_NEAR.search(text, max(0, i - 6), i + 7):
            chars[i] = _HALF_OTHER[m.group()]
    return "".join(chars)


def _furniture(text: str, removed: list[dict]) -> tuple[str, Pieces | None]:
    rules = lexicon.furniture()
    lines = text.split("\n")
    starts, pos = [], 0
    for ln in lines:
        starts.append(pos)
        pos += len(ln) + 1
    drop = [False] * len(lines)
    reasons: dict[int, str] = {}
    nonblank = [i for i, ln in enumerate(lines) if ln.strip()]
    tail_from = int(len(nonblank) * (1 - rules["tail_window"]))
    for rank, i in enumerate(nonblank):
        s = lines[i].strip()
        if rank >= tail_from and any(p.match(s) for p in rules["tail_starts"]):
            for j in range(i, len(lines)):
                drop[j] = True
                reasons.setdefault(j, "disclaimer")
            break
        if len(s) < 120 and any(p.match(s) for p in rules["drop_lines"]):
            drop[i] = True
            reasons[i] = "furniture"
    # repeated title lines near the top: keep the first copy
    seen: set[str] = set()
    for i in nonblank[:12]:
        s = lines[i].strip()
        if s in seen and len(s) > 4:
            drop[i] = True
            reasons[i] = "repeated title"
        seen.add(s)
    if not any(drop):
        return text, None
    pieces = Pieces()
    out: list[str] = []
    n = 0
    for i, ln in enumerate(lines):
        piece = ln + ("\n" if i < len(lines) - 1 else "")
        if drop[i]:
            if ln.strip():
                removed.append({"reason": reasons[i], "text": ln.strip()[:80]})
            continue
        pieces.add(n, n + len(piece), starts[i], starts[i] + len(piece))
        out.append(piece)
        n += len(piece)
    return "".join(out), pieces


_PAGE_MARK = regex.compile(r"(?m)^(\d{1,3})、")
_TERMINAL = "。！？!?：:；;”」』）)…"


def _page_markers(text: str, removed: list[dict]) -> tuple[str, Pieces | None]:
    """Remove `N、` page markers of sites that cut a document into pages.

    A run of line-initial `1、 2、 3、…` counts as page markers when the lines are
    long and most lines before a marker end mid-sentence; a real list of items is
    short lines after a complete sentence. The marker and the line break before it
    are removed, so the cut sentence is whole again."""
    marks = list(_PAGE_MARK.finditer(text))
    if len(marks) < 2:
        return text, None
    run = []
    for k, m in enumerate(marks):
        if int(m.group(1)) == k + 1:
            run.append(m)
        else:
            break
    seq = run
    if len(seq) < 2:
        return text, None
    cut = 0
    lengths = []
    for a, b in zip(seq, seq[1:] + [None]):
        seg = text[a.end() : b.start() if b else len(text)]
        lengths.append(len(seg))
        before = text[: b.start()].rstrip("\n \t") if b else ""
        if b and before and before[-1] not in _TERMINAL:
            cut += 1
    avg = sum(lengths) / len(lengths)
    if not (cut >= max(1, (len(seq) - 1) // 2) and avg > 150):
        return text, None
    targets = {m.start() for m in seq}

    pattern = regex.compile(r"(?m)(\n*)^(\d{1,3})、")

    def repl2(m: regex.Match) -> str:
        if m.start(2) not in targets:
            return m.group(0)
        removed.append({"reason": "page marker", "text": m.group(2) + "、"})
        return ""

    return substitute(text, pattern, repl2)


def _swaps(text: str) -> tuple[str, list[dict], int]:
    rules = lexicon.swaps()
    score = sum(text.count(s) for s in rules["signals"])
    if score < rules["threshold"]:
        return text, [], score
    repairs: list[dict] = []
    chars = list(text)
    for rule in rules["repairs"]:
        wrong, right = rule["wrong"], rule["right"]
        for pat in rule["patterns"]:
            for m in pat.finditer(text):
                s = m.start("w")
                if text[s : s + len(wrong)] == wrong and "".join(chars[s : s + len(wrong)]) == wrong:
                    chars[s : s + len(wrong)] = list(right)
                    repairs.append({"at": s, "from": wrong, "to": right, "context": text[max(0, s - 4) : s + 6]})
    repairs.sort(key=lambda r: r["at"])
    return "".join(chars), repairs, score


_WS_LINE = regex.compile(r"[ \t]+\n|\n{3,}|^\s+|\r")


def _tidy(text: str) -> tuple[str, Pieces | None]:
    def repl(m: regex.Match) -> str:
        g = m.group(0)
        if g == "\r" or m.start() == 0:
            return ""
        if g.startswith("\n"):
            return "\n\n"
        if g.endswith("\n") and m.start() > 0:
            return "\n"
        return ""

    return substitute(text, _WS_LINE, repl)


_INLINE_SALUTE = regex.compile(r"(?<=[^\n])(?=同志们[：:，])")


def _salutation(text: str) -> tuple[str, Pieces | None]:
    """Put a salutation glued to the title (page joins lose the line break) on its own line."""
    m = _INLINE_SALUTE.search(text, 0, 400)
    if not m or m.start() < 6 or not _TITLE_END.search(text[max(0, m.start() - 12) : m.start()]):
        return text, None
    return _insert(text, m.start())


_TITLE_END = regex.compile(r"(讲话|报告|发言|致辞|讲稿|会议)$")


def _insert(text: str, at: int) -> tuple[str, Pieces]:
    pieces = Pieces()
    pieces.add(0, at, 0, at)
    pieces.add(at, at + 1, at, at)
    pieces.add(at + 1, len(text) + 1, at, len(text))
    return text[:at] + "\n" + text[at:], pieces


@cache
def _invisible_re() -> regex.Pattern:
    """Zero-width and direction controls (rules/furniture.yaml) and U+FFFD, the mark of a byte
    that could not be decoded."""
    return regex.compile("[" + lexicon.rules("furniture.yaml")["invisible"] + "\ufffd]+")


def _invisible(text: str, removed: list[dict]) -> tuple[str, Pieces | None, int]:
    """Remove invisible characters and replacement characters; each kind is counted in `removed`.
    Also returns how many replacement characters (undecodable bytes) there were."""
    rx = _invisible_re()
    if not rx.search(text):
        return text, None, 0
    bad = text.count("\ufffd")
    hidden = sum(len(m) for m in rx.findall(text)) - bad
    text, pieces = substitute(text, rx, lambda m: "")
    if hidden:
        removed.append({"reason": "invisible characters (zero-width, direction marks)", "count": hidden})
    if bad:
        removed.append({"reason": "undecodable bytes (U+FFFD)", "count": bad})
    return text, pieces, bad


# ---------------------------------------------------------------- layout (rules/layout.yaml)


@cache
def _layout_rules() -> dict[str, Any]:
    r = lexicon.rules("layout.yaml")
    c = regex.compile
    units = {u for us in lexicon.rules("measures.yaml")["units"].values() for u in us} | {"%", "‰", "个百分点"}
    figure = r["figure"].replace("{UNITS}", "|".join(regex.escape(u) for u in sorted(units, key=len, reverse=True)))
    return {
        "min_breaks": int(r["collapsed_min_breaks"]),
        "break_space": c(rf"(?<={r['break_after']})[ \t]+(?=\S)"),
        "salute_space": c(rf"[ \t]+(?={r['salutation_after_space']})"),
        "title": c(rf"[^\n。！？，；：]{{4,{int(r['title_max'])}}}?{r['title_end']}(?P<sp>[ \t]+)(?=\S)"),
        "label": c(rf"[ \t]*{r['heading_label']}[ \t]*"),
        "heading_max": int(r["heading_max"]),
        "rest_min": int(r["heading_rest_min"]),
        "number_end": c(rf"{r['number_end']}$"),
        "number_start": c(r["number_start"]),
        "after_number": c(r["after_number"]),
        "tight_punct": c(r["tight_punct"]),
        "tight_open": c(rf"{r['tight_open']}$"),
        "min_lines": int(r["infographic_min_lines"]),
        "caption_line": c(rf"{r['caption']}(?:[ \t]+{r['caption']})*"),
        "figure_line": c(rf"{figure}(?:[ \t]+{figure})*"),
    }


_SPACES = regex.compile(r"[ \t]+")
_NEWLINE = regex.compile(r"\n")
_HAN1 = regex.compile(r"\p{Han}")
_CLAUSE_MARKS = regex.compile(r"[，。；：！？、,;:!?]")
_SENT_END = regex.compile(r"[。！？]")
_PROSE = regex.compile(r"[，。；！？]")


def _layout(text: str, removed: list[dict]) -> tuple[str, list[Pieces]]:
    """Repair layout (rules/layout.yaml): paragraph and heading breaks that collapsed into
    spaces, spaces inside number, unit and word runs, infographic captions apart from
    their figures. Returns the text and the piece map of each sub-step that changed it."""
    steps = []
    for step, what in ((_layout_breaks, "line breaks restored (collapsed paragraphs, run-in headings)"),
                       (_infographic, "infographic figures given their captions"),
                       (_layout_spaces, "spaces inside words and numbers")):
        text, pieces, n = step(text)
        if pieces:
            steps.append(pieces)
            removed.append({"reason": f"layout: {what}", "count": n})
    return text, steps


def _layout_breaks(text: str) -> tuple[str, Pieces | None, int]:
    """Spaces that stand for line breaks: after sentence ends in a collapsed line, before a
    salutation, after the title of a collapsed page, after a heading that runs into its prose."""
    if " " not in text and "\t" not in text:
        return text, None, 0
    R = _layout_rules()
    breaks: set[int] = set()  # starts of space runs that become a line break
    line_spans = [m.span() for m in _LINE.finditer(text)]
    first = next((s for s, e in line_spans if text[s:e].strip()), -1)
    for ls, le in line_spans:
        found = [m for m in R["break_space"].finditer(text, ls, le)]
        salute = [m.start() for m in R["salute_space"].finditer(text, ls, le)]
        title = R["title"].match(text, ls, le) if ls == first else None
        if len(found) >= R["min_breaks"] or salute or title:  # a collapsed page
            breaks.update(m.start() for m in found)
            breaks.update(salute)
            if title:
                breaks.add(title.start("sp"))
        else:  # a heading label after a sentence end and a space starts a line anywhere
            breaks.update(m.start() for m in found if R["label"].match(text, m.end()))
    # headings that run into their prose: after every line start, old or new
    starts = sorted({s for s, _ in line_spans} | {_SPACES.match(text, b).end() for b in breaks})
    ends = sorted({e for _, e in line_spans} | breaks)
    for p in starts:
        m = R["label"].match(text, p)
        if not m:
            continue
        hs = m.end()
        le = ends[bisect_left(ends, hs)] if bisect_left(ends, hs) < len(ends) else len(text)
        sp = _SPACES.search(text, hs, min(le, hs + R["heading_max"] + 1))
        if sp is None or sp.start() - hs < 2 or _CLAUSE_MARKS.search(text, hs, sp.start()):
            continue
        rest = text[sp.end() : le]
        if len(rest) >= R["rest_min"] and _SENT_END.search(rest):
            breaks.add(sp.start())
    if not breaks:
        return text, None, 0
    out, pieces = substitute(text, _SPACES, lambda m: "\n" if m.start() in breaks else m.group(0))
    return out, pieces, len(breaks)


def _layout_spaces(text: str) -> tuple[str, Pieces | None, int]:
    """Remove spaces inside runs: between a number and its unit or the word before it
    (达到 53.85 亿斤), beside punctuation, and single spaces between Han characters in prose."""
    if " " not in text and "\t" not in text:
        return text, None, 0
    R = _layout_rules()
    count = 0
    breaks = [m.start() for m in _NEWLINE.finditer(text)]
    prose: dict[int, bool] = {}  # line number → the line holds a sentence or clause mark

    def in_prose(pos: int) -> bool:
        i = bisect_left(breaks, pos)
        if i not in prose:
            ls = breaks[i - 1] + 1 if i else 0
            prose[i] = bool(_PROSE.search(text, ls, breaks[i] if i < len(breaks) else len(text)))
        return prose[i]

    def repl(m: regex.Match) -> str:
        nonlocal count
        s, e = m.start(), m.end()
        if s == 0 or e >= len(text) or text[e] == "\n" or text[s - 1] == "\n":
            return m.group(0)  # (line ends are _tidy's)
        before, after = text[s - 1], text[e]
        join = False
        if e - s <= 2 and R["number_end"].search(text, max(0, s - 8), s) and R["after_number"].match(text, e):
            join = True  # 53.85 亿斤 · 5.0 % · 20xx 年
        elif e - s <= 2 and _HAN1.match(before) and R["number_start"].match(text, e) \
                and not _DIGIT.search(text, _token_start(text, s), s):
            join = True  # 达到 53.85 (not 1.2亿元 2.5亿元: two figures side by side)
        elif R["tight_punct"].match(after) or R["tight_punct"].match(before) or R["tight_open"].search(text, s - 1, s):
            join = True  # 难关 。 · ，  · （ 一
        elif e - s == 1 and _HAN1.match(before) and _HAN1.match(after):
            join = in_prose(s)  # 县政 府 in a sentence (a line of names or captions keeps its spaces)
        if join:
            count += 1
            return ""
        return m.group(0)

    out, pieces = substitute(text, _SPACES, repl)
    return out, pieces, count


def _token_start(text: str, end: int) -> int:
    """Start of the run of non-space characters that ends at `end` (looked for 20 back at most)."""
    lo = max(0, end - 20)
    m = _LAST_TOKEN.search(text, lo, end)
    return m.start() if m else end


_LAST_TOKEN = regex.compile(r"[^ \t\n]+$")


def _infographic(text: str) -> tuple[str, Pieces | None, int]:
    """Give infographic figures their captions (rules/layout.yaml). In a block of short lines,
    captions first, one column (地区生产总值 / 356.2亿元 / 增长6.5%) is joined into one line:
    地区生产总值356.2亿元，增长6.5%. Two or more columns side by side (captions on one line,
    figures on the next), and figures written before their captions, get a copy of their
    caption in front of each figure: 地区生产总值356.2亿元；固定资产投资128.5亿元. The text is
    never reordered, so the offset map stays monotonic (a copied caption maps to the point
    where it is inserted). Blocks of any other shape are left as they are."""
    R = _layout_rules()
    if "\n" not in text:
        return text, None, 0
    lines = [m.span() for m in _LINE.finditer(text)]
    kinds = []
    for s, e in lines:
        seg = text[s:e].strip()
        kinds.append("C" if R["caption_line"].fullmatch(seg) and not _DIGIT.search(seg)
                     else "F" if R["figure_line"].fullmatch(seg) else "")
    edits: list[tuple[int, int, str]] = []  # (old start, old end, new text), in order
    n_items = 0
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and kinds[j]:
            j += 1
        if j - i >= R["min_lines"]:
            got = _infographic_edits(text, lines[i:j], kinds[i:j])
            if got:
                edits.extend(got[0])
                n_items += got[1]
        i = max(j, i + 1)
    if not edits:
        return text, None, 0
    out: list[str] = []
    pieces = Pieces()
    pos = n = 0
    for a, b, rep in edits:
        if a > pos:
            out.append(text[pos:a])
            pieces.add(n, n + a - pos, pos, a)
            n += a - pos
        out.append(rep)
        pieces.add(n, n + len(rep), a, b)
        n += len(rep)
        pos = b
    out.append(text[pos:])
    pieces.add(n, n + len(text) - pos, pos, len(text))
    return "".join(out), pieces, n_items


_LINE = regex.compile(r"[^\n]+")
_DIGIT = regex.compile(r"\d")
_CELL = regex.compile(r"[^ \t\n]+")


def _shifted(pairs: list[tuple[int, list[int]]] | None, by: int) -> list[tuple[int, list[int]]] | None:
    return None if pairs is None else [(c + by, [f + by for f in fs]) for c, fs in pairs]


def _captions_first(cells: list[list[tuple[int, int]]], kinds: list[str]) -> list[tuple[int, list[int]]] | None:
    """(caption line, its figure lines) for a block shaped (C F+)+, each F line with as many
    cells as its C line; None for any other shape."""
    pairs: list[tuple[int, list[int]]] = []
    k = 0
    while k < len(kinds):
        if kinds[k] != "C":
            return None
        c, figs = k, []
        k += 1
        while k < len(kinds) and kinds[k] == "F":
            if len(cells[k]) != len(cells[c]):
                return None
            figs.append(k)
            k += 1
        if not figs:
            return None
        pairs.append((c, figs))
    return pairs


def _figures_first(cells: list[list[tuple[int, int]]], kinds: list[str]) -> list[tuple[int, list[int]]] | None:
    """(caption line, [its figure line]) for a block shaped (F C)+, cell for cell; else None."""
    if not kinds or len(kinds) % 2:
        return None
    pairs = []
    for k in range(0, len(kinds), 2):
        if kinds[k] != "F" or kinds[k + 1] != "C" or len(cells[k]) != len(cells[k + 1]):
            return None
        pairs.append((k + 1, [k]))
    return pairs


def _infographic_edits(text: str, lines: list[tuple[int, int]], kinds: list[str]):
    """(edits, figures captioned) for one block of caption (C) and figure (F) lines, or None
    when the block has no known shape (see _captions_first, _figures_first)."""
    cells = [[m.span() for m in _CELL.finditer(text, s, e)] for s, e in lines]
    # caption lines before the first caption that has figures are the block's title (一图读懂…)
    title = 0
    while title + 1 < len(kinds) and kinds[title] == kinds[title + 1] == "C":
        title += 1
    pairs = _shifted(_captions_first(cells[title:], kinds[title:]), title) if kinds[title] == "C" else None
    if pairs is None:  # figures first, after a title line or not
        skip = 1 if kinds[0] == "C" and title == 0 else title
        pairs = _shifted(_figures_first(cells[skip:], kinds[skip:]), skip)
    if pairs is None or len(pairs) < 2:
        return None
    edits: list[tuple[int, int, str]] = []
    count = 0
    for c, figs in pairs:
        count += len(cells[c]) * len(figs)
        if len(cells[c]) == 1 and figs[0] == c + 1:  # one column, caption first: join the lines
            prev = c
            for f in figs:
                gap = (lines[prev][1], lines[f][0])  # the line break (and blank lines) between
                edits.append((gap[0], gap[1], "" if f == figs[0] else "，"))
                prev = f
            continue
        for f in figs:  # a copy of each column's caption before its figure, columns joined by ；
            for col, (fs, fe) in enumerate(cells[f]):
                cs, ce = cells[c][col]
                gap = cells[f][col - 1][1] if col else fs  # the spaces between two cells give way to ；
                edits.append((gap, fs, ("；" if col else "") + text[cs:ce]))
    edits.sort()
    return edits, count


# ---------------------------------------------------------------- entry points


# UTF-16 halves with no partner: a Python string can hold them, UTF-8 (and every later step) cannot
_SURROGATE = re.compile("[\ud800-\udfff]")


def normalize_text(source: str, doc_id: str = "text", *, encoding: str = "str", path: str | None = None,
                   sha256: str = "", meta_override: dict | None = None) -> Document:
    """Normalize already-decoded text."""
    from . import meta as meta_mod

    surrogates = 0
    try:
        raw = source.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: each becomes U+FFFD (same length, offsets unchanged)
        source, surrogates = _SURROGATE.subn("\ufffd", source)
        raw = source.encode("utf-8")
    steps: list[Pieces] = []
    removed: list[dict] = []
    text = source
    html_title = ""
    if looks_like_html(text):
        text, html_pieces, html_title = html_body(text)
        steps.append(html_pieces)
    text, pieces, undecodable = _invisible(text, removed)
    if pieces:
        steps.append(pieces)
    text, pieces = substitute(text, _PINYIN, lambda m: "")
    if pieces:
        steps.append(pieces)
        removed.append({"reason": "pinyin glosses", "count": len(_PINYIN.findall(source))})
    text, script = _t2s(text)
    text = _width(text)
    text, pieces = _tidy(text)
    if pieces:
        steps.append(pieces)
    text, layout_steps = _layout(text, removed)
    steps.extend(layout_steps)
    for step in (lambda t: _furniture(t, removed), lambda t: _page_markers(t, removed), _salutation, _tidy):
        text, pieces = step(text)
        if pieces:
            steps.append(pieces)
    text, repairs, swap_score = _swaps(text)
    text = text.rstrip("\n ")
    doc = Document(
        doc_id=doc_id,
        text=text,
        source=source,
        offsets=OffsetMap(steps),
        encoding=encoding,
        script=script,
        path=path,
        sha256=sha256 or hashlib.sha256(raw).hexdigest(),
        placeholders=[(m.start(), m.end()) for m in _PLACEHOLDER.finditer(text)] if _PLACEHOLDER_CHAR.search(text) else [],
        repairs=repairs,
        removed=removed,
    )
    if surrogates:
        doc.warnings.append(f"{surrogates} lone surrogate code point(s) replaced by U+FFFD")
    if not source.strip():  # after a BOM, or white space bytes.strip() does not know (U+3000)
        raise InputError(path, "empty file" if not source else "the file holds only white space")
    if not regex.search(r"\p{Han}", text):
        raise InputError(path, "no Chinese text found" + (" in the HTML page" if html_title else ""))
    _check_language(text, path)
    doc.meta = meta_mod.infer(doc, html_title=html_title)
    doc.meta["swap_score"] = swap_score
    if meta_override:
        doc.meta.update({k: v for k, v in meta_override.items() if v is not None})
        doc.meta.setdefault("overridden", sorted(meta_override))
    if undecodable:
        doc.warnings.append(f"{undecodable} bytes could not be decoded and were dropped (U+FFFD in the source)")
    if text and text[-1] not in "。！？!?”」』）)…":
        doc.warnings.append("text ends mid-sentence: the speech may be truncated")
        doc.meta["truncated"] = True
    return doc


_KANA = regex.compile(r"[\p{Hiragana}\p{Katakana}]")
_NOT_HAN = regex.compile(r"\P{Han}+")
_LETTER = regex.compile(r"\p{L}")


def han_count(text: str) -> int:
    """Number of Han characters (deleting the rest is several times faster than findall)."""
    return len(_NOT_HAN.sub("", text))


def _check_language(text: str, path: str | None) -> None:
    """Refuse text in another language (Japanese kana, mostly non-Han letters) with a clear reason."""
    sample = text[:20000]
    kana = len(_KANA.findall(sample)) if _KANA.search(sample) else 0
    if kana < 10 and han_count(sample[:2000]) >= 0.5 * min(len(sample), 2000):
        return  # most texts: half of their opening is Han, no kana: Chinese (the count below costs more)
    han = han_count(sample)
    if kana >= 10 and kana > 0.25 * (han + kana):
        raise InputError(path, "text in Japanese (kana), not Chinese")
    if han >= 0.2 * len(sample):  # then han < 0.2 * letters cannot hold
        return
    letters = len(_LETTER.findall(sample))
    if letters >= 200 and han < 0.2 * letters:
        raise InputError(path, f"not Chinese text: only {100 * han // letters}% of its letters are Chinese characters")


def sidecar(path: Path) -> dict | None:
    """Metadata from NAME.meta.json or NAME.meta.yaml beside the speech."""
    for ext in (".meta.json", ".meta.yaml", ".meta.yml"):
        side = path.with_name(path.stem + ext)
        try:
            found = side.is_file()
        except (OSError, ValueError):  # a speech's name so long that the sidecar's would be too long
            found = False
        if found:
            raw = side.read_text(encoding="utf-8")
            if ext == ".meta.json":
                return json.loads(raw)
            import yaml

            return yaml.safe_load(raw) or {}
    return None


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "a special file"


def _too_large(path: str | Path, size: int | None = None) -> InputError:
    got = f"{size // 2**20} MiB" if size is not None else "more"
    return InputError(path, f"file too large ({got} > {MAX_BYTES // 2**20} MiB)")


def read_input(path: str | Path) -> bytes:
    """The bytes of a speech file, read once, the size checked while reading. Raises InputError.

    A regular file or a pipe (a FIFO, or `<(cat f)` in a shell) is read; anything else (a
    device such as /dev/zero, a socket) is refused without reading. A pipe that sends nothing
    for PIPE_TIMEOUT seconds (a FIFO no program writes to) is refused instead of waited on.
    """
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(path, "is a folder, not a file")
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
            raise InputError(path, f"not a regular file or a pipe ({_kind(st.st_mode)}): not read")
        if stat.S_ISREG(st.st_mode) and st.st_size > MAX_BYTES:
            raise _too_large(path, st.st_size)
        # non-blocking: opening a FIFO that has no writer returns at once instead of waiting for one
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(path, "file not found (moved or deleted?)") from None
    except PermissionError:
        raise InputError(path, "permission denied") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder, not a file") from None
    except (OSError, ValueError) as err:  # a name too long for the system, a NUL in it
        raise InputError(path, f"cannot read: {getattr(err, 'strerror', None) or err}") from None
    try:
        mode = os.fstat(fd).st_mode  # what was opened (the name may have changed since the stat)
        if stat.S_ISFIFO(mode):
            return _read_pipe(fd, path)
        if not stat.S_ISREG(mode):
            raise InputError(path, f"not a regular file or a pipe ({_kind(mode)}): not read")
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > MAX_BYTES:  # grew since the stat
                raise _too_large(path)
            chunks.append(chunk)
    except OSError as err:
        raise InputError(path, f"cannot read: {err.strerror or err}") from None
    finally:
        os.close(fd)


def _read_pipe(fd: int, path: str | Path) -> bytes:
    """A pipe's bytes until its writer closes it, giving up after PIPE_TIMEOUT seconds of silence."""
    import select

    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP)
    chunks: list[bytes] = []
    size = 0
    while True:
        if not poller.poll(int(PIPE_TIMEOUT * 1000)):
            what = "sent nothing" if not size else "stalled"
            raise InputError(path, f"a pipe that {what} for {PIPE_TIMEOUT:g} s (is any program writing to it?)")
        try:
            chunk = os.read(fd, 1 << 20)
        except BlockingIOError:
            continue
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_BYTES:
            raise _too_large(path)
        chunks.append(chunk)


def normalize_file(path: str | Path, meta_override: dict | None = None, data: bytes | None = None) -> Document:
    """Read, decode and normalize one file. Raises InputError with the reason.

    `data`: the file's bytes when the caller has read them already (a pipe can be read only once)."""
    path = Path(path)
    if data is None:
        data = read_input(path)
    text, encoding = decode(data, path)
    override = dict(sidecar(path) or {})
    override.update(meta_override or {})
    return normalize_text(text, doc_id=path.stem, encoding=encoding, path=str(path),
                          sha256=hashlib.sha256(data).hexdigest(), meta_override=override or None)


def normalize(source: str | Path, meta: dict | None = None) -> Document:
    """Path or text in, Document out."""
    if isinstance(source, Path) or (isinstance(source, str) and len(source) < 4096 and "\n" not in source
                                     and Path(source).suffix and _is_file(source)):
        return normalize_file(source, meta)
    return normalize_text(str(source), meta_override=meta)


def _is_file(name: str) -> bool:
    """Whether a string names an existing file; a text that cannot be a path (a name over the
    system's limit, a NUL) is no file rather than an error."""
    try:
        return Path(name).exists()
    except (OSError, ValueError):
        return False
