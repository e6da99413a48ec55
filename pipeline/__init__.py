"""speechminer: structured, queryable facts from Chinese local-government speeches.

The public API, for notebooks and scripts (the README's "Python API" shows it at work)::

    import pipeline as sm
    r = sm.extract("corpus/000_f11bba97cbee365b.txt")   # a path, raw text, or a Document
    r = sm.extract_text(untrusted)                       # text only: never opened as a path
    r = sm.extract_file("speech.txt")                    # a path only
    r.metrics, r.targets, r.tasks, r.outline
    r.to_dataframe("tasks")                              # pandas
    r.to_dicts()                                         # the exchange format (shared/eval/FORMAT.md)

    store = sm.Store("outputs/speeches.db")
    store.ingest(["corpus/"], progress=False)
    store.tasks(unit="发改", role="lead")                 # DataFrames, alias aware

The stages stay plain functions in their modules: `pipeline.normalize.normalize`,
`pipeline.segment.segment`, `pipeline.extraction.extract`. spaCy users add the
`speechminer` component (see `pipeline.spacy_component`).

Names load on first use, so `import pipeline` is cheap and pandas/spaCy are
imported only by the calls that need them.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_PUBLIC: dict[str, str] = {
    "extract": "extraction",
    "extract_text": "extraction",
    "extract_file": "extraction",
    "Result": "extraction",
    "Store": "store",
    "Document": "normalize",
    "InputError": "normalize",
    "Outline": "segment",
    "Metric": "records",
    "Target": "records",
    "Task": "records",
    "UnitRef": "records",
    "Rank": "records",
}

__all__ = ["__version__", *_PUBLIC]

if TYPE_CHECKING:
    from .extraction import Result, extract, extract_file, extract_text
    from .normalize import Document, InputError
    from .records import Metric, Rank, Target, Task, UnitRef
    from .segment import Outline
    from .store import Store


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562)."""
    if name not in _PUBLIC:
        raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
