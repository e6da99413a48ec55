"""Stage 3a: indicator values, growth, deltas, shares, ranks and quantified targets."""
from __future__ import annotations


def extract(doc, outline):
    """(metrics, targets) of one document."""
    return [], []
