"""Deadlines as written → date ranges relative to the speech."""
import pytest

from pipeline.dates import is_recurring, normalize_deadline


@pytest.mark.parametrize("text,ref,want", [
    ("10月底前", "2023-07", ("2023-07-01", "2023-10-31")),
    ("10月底前", 2023, ("2023-01-01", "2023-10-31")),
    ("十月底前", "2023-07", ("2023-07-01", "2023-10-31")),
    ("9月30日前", "2023-07-15", ("2023-07-15", "2023-09-30")),
    ("年底前", "2023-07", ("2023-07-01", "2023-12-31")),
    ("年内", "2023-07", ("2023-07-01", "2023-12-31")),
    ("今年", "2023-07", ("2023-07-01", "2023-12-31")),
    ("明年秋季", "2023-07", ("2024-09-01", "2024-11-30")),
    ("三季度", "2023-07", ("2023-07-01", "2023-09-30")),
    ("四季度末", "2023-10", ("2023-10-01", "2023-12-31")),
    ("下半年", 2023, ("2023-07-01", "2023-12-31")),
    ("6月中旬", "2023", ("2023-06-11", "2023-06-20")),
    ("2024年6月底前", "2023-11", ("2023-11-01", "2024-06-30")),
])
def test_ranges(text, ref, want):
    assert normalize_deadline(text, ref) == want


def test_said_late_in_the_year_rolls_to_next_year():
    assert normalize_deadline("3月底前", "2023-11") == ("2023-11-01", "2024-03-31")


@pytest.mark.parametrize("text", ["每季度", "每月", "按半月", "每周", "定期"])
def test_recurring_has_no_range(text):
    assert normalize_deadline(text, "2023-07") is None
    assert is_recurring(text)


def test_masked_and_unknown():
    assert normalize_deadline("*月*日前", "2023-07") is None
    assert normalize_deadline("XX月底前", 2023) is None
    assert normalize_deadline("尽快", 2023) is None
    assert normalize_deadline(None, 2023) is None


def test_no_reference():
    assert normalize_deadline("10月底前", None) is None
    assert normalize_deadline("2024年6月底前", None) == ("2024-06-01", "2024-06-30")


def test_a_fixed_holiday_resolves_and_a_lunar_one_does_not():
    # 国庆节前 said in July: from the meeting to the eve of 1 October
    assert normalize_deadline("国庆节前", "2024-07-10") == ("2024-07-10", "2024-09-30")
    assert normalize_deadline("明年元旦前", "2024-07-10") == ("2024-07-10", "2024-12-31")
    assert normalize_deadline("春节前", "2024-07-10") is None


def test_fragments_are_shared_and_expanded():
    from pipeline import lexicon

    frags = lexicon.fragments()
    assert "{" not in frags["event_before"] and "春节" in frags["event_before"]
    task_deadlines = lexicon.rules("task_cues.yaml")["deadlines"]
    assert not any("{holiday}" in p for p in task_deadlines)
    assert any(frags["holiday"] in p for p in task_deadlines)


def test_an_unknown_fragment_is_an_error():
    import pytest

    from pipeline import lexicon

    with pytest.raises(KeyError, match="no_such_fragment"):
        lexicon.expand("(?:{no_such_fragment})前")
    # quantifiers and classes are no references
    assert lexicon.expand(r"\p{Han}{2,3}") == r"\p{Han}{2,3}"
