"""Load the data files in rules/ once, compiled, for every stage.

Rules are data: patterns and word lists live in rules/*.yaml with comments on
why each exists; this module only reads and compiles them.
"""
from __future__ import annotations

import logging
import os
import re
import threading
from functools import cache
from pathlib import Path
from typing import Any, Iterable, Iterator

import regex
import yaml

# libyaml's loader when PyYAML was built with it: the rules load in a tenth of the pure-Python time
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _rules_location() -> Path:
    """Where rules/ is: $SPEECHMINER_RULES; else the checkout's top-level rules/ when running from the
    source tree (an editable install, or the tree on PYTHONPATH); else the copy packaged in the
    wheel as pipeline/rules, found through importlib.resources."""
    env = os.environ.get("SPEECHMINER_RULES")
    if env:
        return Path(env)
    tree = Path(__file__).resolve().parent.parent
    if (tree / "rules").is_dir() and (tree / "pyproject.toml").is_file():
        return tree / "rules"
    from importlib.resources import files

    return Path(str(files("pipeline") / "rules"))


RULES = _rules_location()


def rules_dir() -> Path:
    """The rules/ folder the loaders read (RULES: tests and embedding code may point it elsewhere)."""
    return Path(RULES)




@cache
def rx(pattern: str) -> regex.Pattern:
    """`regex.compile` with a plain dict cache: inline patterns on hot paths cost
    a lookup instead of the regex module's own (slower) cache and flag checks."""
    return regex.compile(pattern)


_STD_FLAGS = {regex.I: re.I, regex.M: re.M, regex.S: re.S, regex.X: re.X}
_REGEX_ONLY = ("--", "&&", "||", "~~", "[[", "\\p", "\\P", "\\m", "\\M", "\\G", "\\K", "(?|", "(?V", "(?r")
_HAN = "\\p{Han}"


@cache
def _han_ranges() -> str:
    """The Han script as the inside of a character class (rules/fragments.yaml)."""
    return str((_read(FRAGMENTS_FILE, missing_ok=True) or {}).get("han_script_ranges") or "")


def _std_han(src: str) -> str:
    """`src` with each \\p{Han} written as code point ranges (inside a class, as its members)."""
    ranges = _han_ranges()
    out, depth, i = [], 0, 0
    while i < len(src):
        if src.startswith(_HAN, i):
            out.append(ranges if depth else f"[{ranges}]")
            i += len(_HAN)
            continue
        ch = src[i]
        if ch == "\\":
            out.append(src[i : i + 2])
            i += 2
            continue
        if ch == "[" and not depth:
            depth = 1
        elif ch == "]" and depth:
            depth = 0
        out.append(ch)
        i += 1
    return "".join(out)


def _syntax(src: str) -> Iterator[tuple[int, str, int]]:
    """(index, character, depth) of each character of `src` outside classes and escapes; depth
    is the number of groups around it (for a parenthesis: around the group it opens or closes)."""
    depth, in_class, i = 0, False, 0
    while i < len(src):
        ch = src[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            first = i + 1 + (src[i + 1 : i + 2] == "^")
            if src[first : first + 1] == "]":
                i = first  # a ] first in a class is a member
        else:
            if ch == ")":
                depth -= 1
            yield i, ch, depth
            if ch == "(":
                depth += 1
        i += 1


def _alternatives(src: str) -> list[str]:
    """`src` cut at its top-level | (not inside a group or a class)."""
    cuts = [i for i, ch, depth in _syntax(src) if ch == "|" and depth == 0]
    return [src[a + 1 : b] for a, b in zip([-1] + cuts, cuts + [len(src)])]


def _group_end(src: str) -> int:
    """Where the group that opens `src` closes (the index after its `)`), or -1."""
    return next((i + 1 for i, ch, depth in _syntax(src) if ch == ")" and depth == 0), -1)


def _opening_char(alt: str) -> str | None:
    """The literal character `alt` opens with, as written (一, \\*), when no quantifier follows it."""
    if not alt or alt[0] in "()[]|.^$?*+{":
        return None
    tok = alt[:2] if alt[0] == "\\" else alt[0]
    if tok[0] == "\\" and (len(tok) < 2 or tok[1].isalnum()):
        return None  # \\d, \\p{…}, \\b …: no single character
    return None if alt[len(tok) : len(tok) + 1] in ("?", "*", "+", "{") else tok


def _written_out(src: str) -> list[str]:
    """The alternatives of `src`, those that open with a plain group of alternatives written
    out, in order: (?:要求|责成)做好|牵头 → 要求做好, 责成做好, 牵头."""
    out = []
    for alt in _alternatives(src):
        end = _group_end(alt) if alt.startswith("(?:") else -1
        if end < 0 or alt[end : end + 1] in ("?", "*", "+", "{"):
            out.append(alt)
            continue
        for inner in _alternatives(alt[3 : end - 1]):
            out += _written_out(inner + alt[end:])
    return out


def spread(src: str) -> str:
    """The alternation `src` rewritten for a scanner: groups of alternatives that open an
    alternative are written out, then neighbouring alternatives that open with the same character
    share it: (?:要求|责成)做好|要件|牵头 → 要(?:求做好|件)|责成做好|牵头. It matches what `src`
    matches, with the same preference (two alternatives that open with different characters never
    match at one place). Where every alternative opens with a character, the standard library's
    scanner skips to the characters that can start a match and then tries one branch for it."""
    out: list[str] = []
    run: dict[str, list[str]] = {}  # a run of alternatives that open with a character, by that character

    def close_run() -> None:
        for tok, rests in run.items():
            out.append(tok + (rests[0] if len(rests) == 1 else "(?:" + "|".join(rests) + ")"))
        run.clear()

    for alt in _written_out(src):
        tok = _opening_char(alt)
        if tok is None:
            close_run()
            out.append(alt)
        else:
            run.setdefault(tok, []).append(alt[len(tok) :])
    close_run()
    return "|".join(out)


def gate(pattern: regex.Pattern) -> "re.Pattern | regex.Pattern":
    """A gate (a pattern only ever tried with match, search, finditer or sub, its groups read with
    group, groupdict, start, end and span, never captures or starts) compiled by the standard
    library when it reads the pattern alike: on a clause its call costs about a third of regex's,
    and a named group is read without the exception regex raises and clears inside each lookup.
    Patterns with regex-only syntax (set operations, other \\p{…} properties, repeated group
    names, variable lookbehinds …) stay as they are; \\p{Han} is written as its code point
    ranges, and the alternation is spread (see `spread`) when that compiles."""
    src = pattern.pattern
    if _HAN in src and _han_ranges():
        src = _std_han(src)
    if any(tok in src for tok in _REGEX_ONLY):
        return pattern
    flags = 0
    for rf, sf in _STD_FLAGS.items():
        if pattern.flags & rf:
            flags |= sf
    wide = spread(src) if not flags & re.I else src
    for candidate in ((wide, src) if wide != src and len(wide) <= 8 * len(src) + 2000 else (src,)):
        try:
            return re.compile(candidate, flags)
        except re.error:  # (a named group written out twice, …)
            continue
    return pattern


# what first_chars cannot read from the characters written in a pattern: classes by property
# or negation, any character, case folding, look-arounds (a match may start after what it reads)
_FIRST_UNKNOWN = ("[^", "(?<", "(?=", "(?!", "(?i", "(?f", "(?x")
_ANY_DIGIT = regex.compile(r"\d")
_RANGE = regex.compile(r"(?<!\\)(.)-([^\]\\])")


def first_chars(pattern: "re.Pattern | regex.Pattern") -> frozenset[str] | None:
    """The characters a match of `pattern` can start with, every decimal digit written as "0"
    (compare with `chars_of`), or None when that is not known.

    The candidates are the characters written in the pattern (each member of a range too), and
    "0" where it uses \\d; each is kept when a match can begin with it (a partial match). Patterns
    with other escapes, properties, negated classes, ., ^, look-arounds or case folding, and
    patterns that match the empty string, give None. A text whose `chars_of` holds none of them
    cannot hold a match: a set test before a search."""
    src = pattern.pattern
    if not isinstance(src, str) or pattern.flags & (re.I | regex.I) or any(t in src for t in _FIRST_UNKNOWN):
        return None
    cands: set[str] = set()
    i = 0
    while i < len(src):
        ch = src[i]
        if ch == "\\":
            nxt = src[i + 1 : i + 2]
            if nxt == "d":
                cands.add("0")
            elif not nxt or nxt.isalnum():
                return None  # \\p{…}, \\w, \\s, \\b, \\n, \\u…, a back-reference
            else:
                cands.add(nxt)
            i += 2
            continue
        if ch in ".^":
            return None
        cands.add(ch)
        i += 1
    for m in _RANGE.finditer(src):
        lo, hi = ord(m.group(1)), ord(m.group(2))
        if hi - lo > 5000:
            return None
        cands.update(chr(c) for c in range(lo, hi + 1))
    probe = regex.compile(src)
    if probe.match(""):
        return None
    return frozenset(c for c in cands if probe.match(c, partial=True))


def chars_of(text: str) -> set[str]:
    """The characters of `text`, with "0" added when it holds any decimal digit (see first_chars)."""
    chars = set(text)
    if _ANY_DIGIT.search(text):
        chars.add("0")
    return chars


def words(pattern: str) -> re.Pattern:
    """A pattern that only lists words (an alternation of literals, simple classes, a lookahead),
    compiled with the standard library's `re`: for such lists its scan is several times faster
    than `regex`'s, and both read them alike. Anything using \\p{…} or other `regex` features
    goes through `rx`/`regex.compile` instead."""
    return re.compile(pattern)


def _load(name: str, missing_ok: bool = False) -> Any:
    """A rules file, parsed, with every `{fragment}` reference in its strings expanded: the
    shared fragments of rules/fragments.yaml and the file's own `fragments:` section."""
    raw = _read(name, missing_ok)
    if name == FRAGMENTS_FILE or not isinstance(raw, dict):
        return raw
    frags = _file_fragments(name, raw)
    # `fragments:` and `patterns:` are expanded by their users (compile_patterns), which may
    # add fragments of their own
    return {k: (v if k in ("fragments", "patterns") else _expand_all(v, frags)) for k, v in raw.items()}


def _file_fragments(name: str, raw: dict, extra: dict[str, str] | None = None) -> dict[str, str] | _Fragments:
    """The fragments a file's strings may reference: the shared ones, the file's own
    `fragments:` section, its top-level strings and word lists (growth_up: [...] is {growth_up}),
    and any `extra` supplied by code. A name defined twice is an error."""
    shared = fragments()
    own: dict[str, Any] = dict(raw.get("fragments") or {})
    for k, v in raw.items():
        if k in ("fragments", "patterns"):
            continue
        if isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v)):
            own.setdefault(k, v)
    for k, v in (extra or {}).items():
        if k in own:
            raise ValueError(f"rules/{name}: fragment {{{k}}} is defined by the file and by the code")
        own[k] = v
    clash = sorted(set(own) & set(shared))
    if clash:
        raise ValueError(f"rules/{name}: fragments {clash} are already defined in {FRAGMENTS_FILE}")
    if not own:
        return shared
    return _Fragments({**shared, **own}, name)


def compile_patterns(name: str, extra: dict[str, str] | None = None, flags: int = 0,
                     only: Iterable[str] | None = None) -> dict[str, regex.Pattern]:
    """The `patterns:` section of a rules file, each pattern expanded and compiled. `extra`
    gives fragments that code builds (an alternation of every unit of measure); `only`, the
    names to compile when a caller needs a few of them (default: all)."""
    raw = _read(name)
    frags = _file_fragments(name, raw, extra)
    wanted = None if only is None else set(only)
    return {k: regex.compile(expand(str(v), frags), flags) for k, v in (raw.get("patterns") or {}).items()
            if wanted is None or k in wanted}


def _read(name: str, missing_ok: bool = False) -> Any:
    path = RULES / name
    if not path.exists():
        # installed without the source tree: rules ship next to the package
        alt = Path(__file__).resolve().parent / "rules" / name
        path = alt if alt.exists() else path
    if missing_ok and not path.exists():
        return {}
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_YAML_LOADER)


# ---------------------------------------------------------------- fragments
#
# Named regex fragments (rules/fragments.yaml) that other rules reference as
# `{name}`, the way Recognizers-Text's definition files nest their patterns: a
# genre fact (the holidays that serve as deadlines, a month written as a number
# or a placeholder) is written once and used by every pattern that needs it.
# A reference is `{` + a lowercase name + `}`; regex quantifiers ({2,3}) and
# classes (\p{Han}) never look like one. An unknown name is an error.

FRAGMENTS_FILE = "fragments.yaml"
_REF = regex.compile(r"(?<!\\[pPN])\{(?P<name>[a-z][a-z0-9_]*)\}")


@cache
def fragments() -> dict[str, str]:
    """Every shared fragment (rules/fragments.yaml), its own references expanded."""
    raw = (_read(FRAGMENTS_FILE, missing_ok=True) or {}).get("fragments") or {}
    return _resolve(raw, FRAGMENTS_FILE)


def _fragment_text(value: Any) -> str:
    """A fragment's pattern: a string as it is; a list of words or patterns as one
    non-capturing alternation, longest first (so 同比增长 wins over 增长)."""
    if isinstance(value, list):
        flat: set[str] = set()
        for v in value:  # a list may hold lists (YAML aliases of other lists: [*growth_up, *growth_down])
            flat.update(map(str, v) if isinstance(v, list) else [str(v)])
        return "(?:" + "|".join(sorted(flat, key=lambda w: (-len(w), w))) + ")"
    return str(value)


class _Fragments:
    """Fragments by name, each expanded when first asked for (a file's fragment that needs
    a code-built one, such as {units}, is resolved only by the code that supplies it)."""

    def __init__(self, raw: dict[str, Any], where: str):
        self.raw, self.where = raw, where
        self.done: dict[str, str] = {}

    def __contains__(self, name: str) -> bool:
        return name in self.raw

    def __getitem__(self, name: str) -> str:
        return self.resolve(name, ())

    def resolve(self, name: str, path: tuple[str, ...]) -> str:
        if name in self.done:
            return self.done[name]
        if name not in self.raw:
            raise KeyError(f"rules/{self.where}: unknown fragment {{{name}}} (referenced from {' → '.join(path) or 'a rule'})")
        if name in path:
            raise ValueError(f"rules/{self.where}: fragment {{{name}}} refers to itself ({' → '.join(path + (name,))})")
        body = _REF.sub(lambda m: self.resolve(m.group("name"), path + (name,)), _fragment_text(self.raw[name]))
        self.done[name] = body
        return body


def _resolve(raw: dict[str, Any], where: str) -> dict[str, str]:
    """Every fragment of `raw`, expanded (an unknown or circular reference is an error)."""
    frags = _Fragments(raw, where)
    return {name: frags[name] for name in raw}


def expand(pattern: str, frags: dict[str, str] | _Fragments | None = None) -> str:
    """`pattern` with its `{fragment}` references replaced by the fragments' text."""
    frags = fragments() if frags is None else frags

    def sub(m: regex.Match) -> str:
        name = m.group("name")
        if name not in frags:
            raise KeyError(f"rules: unknown fragment {{{name}}} in {pattern!r}")
        return frags[name]

    return _REF.sub(sub, pattern) if "{" in pattern else pattern


@cache
def name_parts() -> dict[str, regex.Pattern]:
    """The prefixes and suffixes that fold away from unit and indicator names (fragments
    local_level, unit_level, indicator_scope, indicator_measure), compiled once."""
    f = fragments()
    return {
        "local_level": regex.compile(rf"^{f['local_level']}(?=\p{{Han}}{{2}})"),
        "unit_level": regex.compile(rf"^{f['unit_level']}(?=\p{{Han}}{{2}})"),
        # a level and one character, which names no unit: 县乡, 区委
        "level_and_head": regex.compile(rf"(?:{f['unit_level']}|县|区|市)?\p{{Han}}"),
        "indicator_scope": regex.compile(rf"^{f['indicator_scope']}"),
        "indicator_measure": regex.compile(rf"{f['indicator_measure']}$"),
    }


def strip_local_level(name: str) -> str:
    """县发改局 → 发改局, 区委组织部 → 组织部 (市 stays: in a county's speech it is another level)."""
    return name_parts()["local_level"].sub("", name, count=1)


def _expand_all(obj: Any, frags: dict[str, str] | _Fragments) -> Any:
    if isinstance(obj, str):
        return expand(obj, frags)
    if isinstance(obj, list):
        return [_expand_all(x, frags) for x in obj]
    if isinstance(obj, dict):
        return {k: _expand_all(v, frags) for k, v in obj.items()}
    return obj


@cache
def furniture() -> dict[str, Any]:
    raw = _load("furniture.yaml")
    return {
        "drop_lines": [regex.compile(p) for p in raw["drop_lines"]],
        "tail_starts": [regex.compile(p) for p in raw["tail_starts"]],
        "tail_window": float(raw.get("tail_window", 0.3)),
    }


@cache
def swaps() -> dict[str, Any]:
    raw = _read("swaps.yaml")  # its {w} marks the swapped word, no fragment
    repairs = []
    for r in raw["repairs"]:
        w = regex.escape(r["wrong"])
        pats = [regex.compile(c.replace("{w}", f"(?P<w>{w})")) for c in r["contexts"]]
        repairs.append({"wrong": r["wrong"], "right": r["right"], "patterns": pats})
    return {"threshold": int(raw["threshold"]), "signals": list(raw["signals"]), "repairs": repairs}


@cache
def rules(name: str) -> Any:
    """Any other rules file, parsed (e.g. rules('cues.yaml'))."""
    return _load(name)


@cache
def units() -> dict[str, Any]:
    """Unit lexicon: alias → entry, plus collectives and weak short forms."""
    raw = _load("units.yaml", missing_ok=True)
    alias: dict[str, dict] = {}
    short: dict[str, dict] = {}
    entries: list[dict] = []
    for group, collective in (("units", False), ("collectives", True)):
        for e in raw.get(group) or []:
            entry = {"key": e["key"], "name": e["name"], "type": e.get("type", "collective" if collective else "department"),
                     "collective": collective, "aliases": list(e.get("aliases") or []), "short": list(e.get("short") or [])}
            entries.append(entry)
            for a in [e["name"], *entry["aliases"]]:
                alias.setdefault(a, entry)
            for a in entry["short"]:
                short.setdefault(a, entry)
    return {"alias": alias, "short": short, "entries": entries}


@cache
def indicators() -> dict[str, Any]:
    """Indicator lexicon: alias → entry."""
    raw = _load("indicators.yaml", missing_ok=True)
    alias: dict[str, dict] = {}
    entries = []
    for e in raw.get("indicators") or []:
        entry = {"key": e["key"], "name": e["name"], "group": e.get("group"), "unit": e.get("unit"),
                 "aliases": list(e.get("aliases") or [])}
        entries.append(entry)
        for a in [e["name"], *entry["aliases"]]:
            alias.setdefault(a, entry)
    return {"alias": alias, "entries": entries}


def unit_lookup(name: str) -> dict | None:
    """Canonical entry for a unit as written (level prefix stripped), or None."""
    lex = units()
    if name in lex["alias"]:
        return lex["alias"][name]
    bare = strip_local_level(name)
    return lex["alias"].get(bare) or lex["short"].get(bare) or lex["short"].get(name)


@cache
def _indicator_trie():
    from hanlp_trie import Trie

    return Trie(dict(indicators()["alias"]))


_TIER = regex.compile(r"^(排在)?[A-E]档的|[A-E]档(的)?(具体)?指标$")
# phrase -> entry, for the alias table it was computed from (the same phrases recur across a batch)
_lookups: dict[str, dict | None] = {}
_lookups_for: list[int] = [0]


def indicator_lookup(name: str | None) -> dict | None:
    """Canonical indicator for a phrase: exact alias first, else the longest
    alias inside it, the rightmost winning (新增规上工业企业 → 规上工业企业)."""
    if not name:
        return None
    lex = indicators()["alias"]
    if not lex:
        return None
    if _lookups_for[0] != id(lex):
        _lookups.clear()
        _lookups_for[0] = id(lex)
    if name in _lookups:
        return _lookups[name]
    if len(_lookups) > 20000:
        _lookups.clear()
    _lookups[name] = found = _indicator_lookup(name, lex)
    return found


def _indicator_lookup(name: str, lex: dict) -> dict | None:
    parts = name_parts()
    bare = _TIER.sub("", parts["indicator_scope"].sub("", name, count=1))
    for cand in (name, bare, parts["indicator_measure"].sub("", bare)):
        if cand in lex:
            return lex[cand]
    hits = _indicator_trie().parse_longest(bare)
    if not hits:
        return None
    begin, end, entry = max(hits, key=lambda h: (h[1] - h[0], h[1]))
    return entry


_jieba_lock = threading.Lock()


def jieba_with_userdict():
    """The jieba module with the project's user dictionary loaded (once per process, thread-safe)."""
    with _jieba_lock:
        return _load_jieba()


@cache
def _load_jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    try:
        jieba.load_userdict(str(jieba_userdict()))
    except Exception as err:  # no or broken lexicon: plain jieba still works
        logging.getLogger(__name__).warning("speechminer: jieba user dictionary not loaded: %s", err)
    return jieba


def cache_dir() -> Path:
    """Where generated files go: $XDG_CACHE_HOME/speechminer, else ~/.cache/speechminer
    (never the installed package, which may be read-only or shared)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "speechminer"


@cache
def jieba_userdict() -> Path:
    """A jieba user dictionary generated from the lexicons, in the cache directory.

    Its name carries a hash of its content, so installs with other rules never share
    (or rewrite) one file."""
    words: set[str] = set()
    try:
        words |= set(units()["alias"])
    except FileNotFoundError:
        pass
    try:
        words |= set(indicators()["alias"])
    except FileNotFoundError:
        pass
    body = "".join(f"{w} 2000 n\n" for w in sorted(words) if len(w) >= 2 and " " not in w)
    import hashlib
    import tempfile

    name = f"userdict-{hashlib.sha256(body.encode('utf-8')).hexdigest()[:16]}.txt"
    for folder in (cache_dir(), Path(tempfile.gettempdir()) / f"speechminer-{os.getuid() if hasattr(os, 'getuid') else 0}"):
        out = folder / name
        try:
            if not out.exists() or out.read_text(encoding="utf-8") != body:
                folder.mkdir(parents=True, exist_ok=True)
                tmp = out.with_suffix(f".{os.getpid()}.part")
                tmp.write_text(body, encoding="utf-8")
                os.replace(tmp, out)  # whole or absent, also with two processes writing at once
            return out
        except OSError:  # no writable cache (a locked-down home): try the temporary folder
            continue
    raise OSError("no writable cache directory for the jieba user dictionary")
