"""Shared fixtures: the bundled corpus, normalized once per session."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
GOLD = ROOT.parent / "shared" / "eval" / "gold"


def corpus_file(prefix: str) -> Path:
    return next(CORPUS.glob(prefix + "_*.txt"))


@pytest.fixture(scope="session")
def docs():
    from pipeline.normalize import normalize_file

    return {p.name[:3]: normalize_file(p) for p in sorted(CORPUS.glob("*.txt"))}
