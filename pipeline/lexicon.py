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
from typing import Any

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


LEVEL_PREFIX = regex.compile(r"^(县级|区级|市级|县委|区委|县政府|区政府|县|区)(?=\p{Han}{2})")


@cache
def rx(pattern: str) -> regex.Pattern:
    """`regex.compile` with a plain dict cache: inline patterns on hot paths cost
    a lookup instead of the regex module's own (slower) cache and flag checks."""
    return regex.compile(pattern)


def words(pattern: str) -> re.Pattern:
    """A pattern that only lists words (an alternation of literals, simple classes, a lookahead),
    compiled with the standard library's `re`: for such lists its scan is several times faster
    than `regex`'s, and both read them alike. Anything using \\p{…} or other `regex` features
    goes through `rx`/`regex.compile` instead."""
    return re.compile(pattern)


def _load(name: str, missing_ok: bool = False) -> Any:
    path = RULES / name
    if not path.exists():
        # installed without the source tree: rules ship next to the package
        alt = Path(__file__).resolve().parent / "rules" / name
        path = alt if alt.exists() else path
    if missing_ok and not path.exists():
        return {}
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_YAML_LOADER)


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
    raw = _load("swaps.yaml")
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
    bare = LEVEL_PREFIX.sub("", name)
    return lex["alias"].get(bare) or lex["short"].get(bare) or lex["short"].get(name)


@cache
def _indicator_trie():
    from hanlp_trie import Trie

    return Trie(dict(indicators()["alias"]))


_SCOPE_PREFIX = regex.compile(r"^(全县|全区|全市|我县|我区|我市|本县|县域|全省)")
_TIER = regex.compile(r"^(排在)?[A-E]档的|[A-E]档(的)?(具体)?指标$")
_MEASURE_SUFFIX = regex.compile(r"(增速|增幅|增长率|增长|涨幅|总量|上升位次|下降位次|位次|排名)$")
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
    bare = _TIER.sub("", _SCOPE_PREFIX.sub("", name))
    for cand in (name, bare, _MEASURE_SUFFIX.sub("", bare)):
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
