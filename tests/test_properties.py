"""Property tests: any text in, no crash out, and offsets always tell the truth."""
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.extraction import extract
from pipeline.normalize import InputError, normalize_text
from pipeline.sentences import split_sentences

# Text built from the genre's own pieces, so that rules actually fire.
PIECES = ["同志们：", "\n", "一、", "（一）", "1.", "1、", "一是", "二要", "第一，", "增长", "下降", "*", "X", "XX", "%",
          "个百分点", "亿元", "个", "排全市第", "倒数第", "位", "前列", "A档", "确保", "力争", "以上", "以内", "左右",
          "县发改局", "发改", "牵头", "配合", "要", "各乡镇", "。", "，", "、", "；", "“", "”", "（", "）", "地区生产总值",
          "固定资产投资", "二季度", "上半年", "较一季度", "同比", "分别", "均", "3", "12.5", "两", "十二", "百分之八十",
          "<p>", "</p>", "(fā)", "發展", "開展", "效劳", "来源：网络", "免责声明：", "2、", "\r\n", " ", "\u3000"]
genre_text = st.lists(st.sampled_from(PIECES), min_size=0, max_size=60).map("".join)
any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


def _check(text):
    try:
        result = extract(text)
    except InputError:
        return  # a clear refusal is fine (no Chinese text, empty)
    doc = result.doc
    n = len(doc.text)
    for rec in result.records:
        assert 0 <= rec.start <= rec.end <= n
        assert doc.text[rec.start:rec.end] == rec.evidence
        s, e = doc.source_span(rec.start, rec.end)
        assert 0 <= s <= e <= len(doc.source)
    for sent in result.outline.sentences:
        assert doc.text[sent.start:sent.end] == sent.text
    for node in result.outline.nodes:
        assert 0 <= node.start <= node.end <= n


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(genre_text)
def test_genre_like_text_never_crashes_and_offsets_hold(text):
    _check(text)


@settings(max_examples=150, deadline=None)
@given(any_text)
def test_any_unicode_never_crashes(text):
    _check(text)


@settings(max_examples=100, deadline=None)
@given(genre_text)
def test_source_map_is_monotonic(text):
    try:
        doc = normalize_text(text)
    except InputError:
        return
    last = 0
    for i in range(0, len(doc.text) + 1, max(1, len(doc.text) // 20)):
        pos = doc.offsets.to_source(i)
        assert pos >= last
        last = pos


@given(st.text(alphabet=string.ascii_letters + "。！？；“”（）\n人民", max_size=200))
def test_sentences_cover_text_in_order(text):
    sents = split_sentences(text)
    prev_end = 0
    for s in sents:
        assert s.start >= prev_end and s.text == text[s.start:s.end] and s.text.strip()
        prev_end = s.end


def test_text_that_looks_like_a_long_file_name_is_read_as_text():
    # found by the property above: a one-line text with a dot is first tried as a path, and a
    # "name" longer than the file system allows made stat() raise instead of answering no
    text = "00000." + "0" * 300 + "同志们：全县地区生产总值增长6.5%。"
    result = extract(text)
    assert [m.value for m in result.metrics] == [6.5]
