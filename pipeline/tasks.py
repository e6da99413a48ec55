"""Stage 3b: assigned tasks with responsible units, roles, persons and deadlines."""
from __future__ import annotations


def extract(doc, outline):
    """Task records of one document."""
    return []
