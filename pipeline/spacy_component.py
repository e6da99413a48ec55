"""spaCy integration: the `speechminer` pipeline component (a thin adapter).

After `pip install speechminer` the component is registered through spaCy's
entry points (group `spacy_factories`), so no import is needed::

    import spacy
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    nlp.add_pipe("speechminer")
    doc = nlp(clean_text)
    doc.spans["metrics"]      # labels: the measure (level, growth, delta, rank, share)
    doc.spans["targets"]      # labels: the modality (must, strive, set)
    doc.spans["tasks"]        # labels: the addressee (named, collective)
    doc._.speechminer         # the records (Metric, Target, Task), sorted by offset
    span._.speechminer        # the record behind one of those spans

or simply `nlp = make_nlp()` (jieba segmenter, project user dictionary loaded,
component added). Adding the component loads the project's jieba user
dictionary (units and indicators of rules/) into jieba once, which is what
spaCy's jieba segmenter uses.

The component runs the plain pipeline (`normalize_text` → `extract`) on
`doc.text` as given. Pass clean Simplified text (for instance
`pipeline.normalize.normalize(path).text`); for raw files (other encodings, HTML,
Traditional script, site furniture) use `pipeline.extract(path)` instead.
If normalization still changes the text, spans are mapped back through the
offset map onto `doc.text`; a record whose span cannot be aligned to tokens
gets no span (it stays in `doc._.speechminer`), and nothing raises.

A record's `doc` field is taken from `doc.user_data["doc_id"]` if set (else
"text"), so records can be compared with `speechminer extract` output.
"""
from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, Callable

import srsly
from spacy.language import Language
from spacy.tokens import Doc, Span

from . import lexicon
from .extraction import Result, extract
from .normalize import InputError, normalize_text
from .records import Metric, Rank, Record, Target, Task, UnitRef

__all__ = ["SpeechminerComponent", "make_nlp", "span_label", "SPAN_KEYS"]

SPAN_KEYS: dict[str, str] = {"metric": "metrics", "target": "targets", "task": "tasks"}

# ---------------------------------------------------------------- serialization
# doc._.speechminer lives in doc.user_data, which Doc.to_bytes / DocBin /
# nlp.pipe(n_process>1) pack with msgpack: teach srsly the record classes.

_RECORD_CLASSES: dict[str, type[Metric] | type[Target] | type[Task]] = {"metric": Metric, "target": Target, "task": Task}
_MARK = "__speechminer_record__"


def _encode_record(obj: Any, chain: Callable[[Any], Any] | None = None) -> Any:
    if isinstance(obj, (Metric, Target, Task)):
        d = asdict(obj)
        d[_MARK] = d.pop("type")
        return d
    return chain(obj) if chain is not None else obj


def _decode_record(obj: Any, chain: Callable[[Any], Any] | None = None) -> Any:
    if isinstance(obj, dict) and _MARK in obj:
        cls = _RECORD_CLASSES[obj[_MARK]]
        names = {f.name for f in fields(cls) if f.init}
        kw = {k: v for k, v in obj.items() if k in names}
        if kw.get("rank") is not None:
            kw["rank"] = Rank(**kw["rank"])
        if "units" in kw:
            kw["units"] = [UnitRef(**u) for u in kw["units"]]
        if kw.get("deadline_range") is not None:
            kw["deadline_range"] = tuple(kw["deadline_range"])
        return cls(**kw)
    return chain(obj) if chain is not None else obj


srsly.msgpack_encoders.register("speechminer_record", func=_encode_record)
srsly.msgpack_decoders.register("speechminer_record", func=_decode_record)


# ---------------------------------------------------------------- component


def span_label(rec: Record) -> str:
    """The span label of a record: measure (metric), modality (target), addressee (task)."""
    if isinstance(rec, Metric):
        return rec.measure
    if isinstance(rec, Target):
        return rec.modality
    return rec.addressee


def _register_extensions() -> None:
    if not Doc.has_extension("speechminer"):
        Doc.set_extension("speechminer", default=None, force=True)
    if not Span.has_extension("speechminer"):
        Span.set_extension("speechminer", getter=_span_record, force=True)


def _span_record(span: Span) -> Metric | Target | Task | None:
    """The record a speechminer span stands for (its span id is the record's index)."""
    recs = span.doc._.speechminer
    if not recs or not span.id_.startswith("speechminer:"):
        return None
    i = int(span.id_.rpartition(":")[2])
    return recs[i] if 0 <= i < len(recs) else None


class SpeechminerComponent:
    """Set doc.spans["metrics"|"targets"|"tasks"] and doc._.speechminer from the pipeline."""

    def __init__(self, nlp: Language, name: str = "speechminer", userdict: bool = True):
        self.name = name
        if userdict:
            lexicon.jieba_with_userdict()
        _register_extensions()

    def __call__(self, doc: Doc) -> Doc:
        for key in SPAN_KEYS.values():
            doc.spans[key] = []
        doc._.speechminer = []
        try:
            document = normalize_text(doc.text, doc_id=str(doc.user_data.get("doc_id", "text")))
        except InputError:  # no Chinese text: nothing to find
            return doc
        result = extract(document)
        self.set_annotations(doc, result)
        return doc

    def set_annotations(self, doc: Doc, result: Result) -> None:
        recs = result.records
        doc._.speechminer = recs
        same = result.doc.text == doc.text
        groups: dict[str, list[Span]] = {key: [] for key in SPAN_KEYS.values()}
        for i, rec in enumerate(recs):
            start, end = rec.start, rec.end
            if not same:
                try:
                    start, end = result.doc.source_span(start, end)
                except (IndexError, ValueError):
                    continue
            if not (0 <= start < end <= len(doc.text)):
                continue
            span = doc.char_span(start, end, label=span_label(rec), alignment_mode="expand",
                                 span_id=f"speechminer:{i}")
            if span is not None:
                groups[SPAN_KEYS[rec.type]].append(span)
        for key, spans in groups.items():
            doc.spans[key] = spans


@Language.factory(
    "speechminer",
    default_config={"userdict": True},
    requires=["doc.text"],
    assigns=["doc.spans", "doc._.speechminer"],
)
def make_speechminer(nlp: Language, name: str, userdict: bool) -> SpeechminerComponent:
    """Factory of the `speechminer` component (entry point `spacy_factories`)."""
    return SpeechminerComponent(nlp, name, userdict=userdict)


def make_nlp(**config: Any) -> Language:
    """A blank Chinese pipeline: jieba segmenter with the project's user dictionary, plus the component.

    Keyword arguments go to the component's config (`userdict`). No model is downloaded.
    """
    import spacy

    lexicon.jieba_with_userdict()  # also quiets jieba, which spaCy's segmenter initializes loudly
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    nlp.add_pipe("speechminer", config=config)
    return nlp
