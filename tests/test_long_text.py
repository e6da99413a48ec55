"""Long text that lost its punctuation (issue 19, item 1): bounded sentences, linear time.

A scraped page can come as one line with no sentence marks, or no marks at all. The
extractors look back over a sentence for each number in it, so one sentence of the
whole page cost time growing with the square of its length. Sentences are now cut
at MAX_SENTENCE characters, at a boundary that is still there.
"""
import random
import time

import regex

from pipeline.extraction import extract
from pipeline.normalize import normalize_text
from pipeline.sentences import MAX_SENTENCE, RUN_ON_PIECE, split_sentences

# clauses in the style of a county economic meeting, {a} an amount, {p} a rate, {r} a rank, {k} a count
CLAUSES = [
    "全县地区生产总值完成{a}亿元同比增长{p}%",
    "规模以上工业增加值增长{p}%增速排全市第{r}位",
    "固定资产投资完成{a}亿元",
    "县发改局要牵头抓好重大项目谋划储备",
    "各乡镇要确保完成全年目标任务",
    "社会消费品零售总额达到{a}亿元",
    "新建改建农村公路{k}公里",
    "力争全年招商引资到位资金{a}亿元以上",
    "城镇新增就业{k}人",
    "粮食总产量稳定在{a}万吨",
    "县财政局要会同县税务局加强收入征管",
    "一般公共预算收入下降{p}%",
]
# most of a speech states no number: the run-on pages of the tests are as dense in numbers as a real one
PROSE = [
    "各级各部门要切实增强责任感和紧迫感",
    "坚持稳中求进工作总基调",
    "把抓项目促投资作为稳增长的关键举措",
    "主要负责同志要亲自研究亲自部署亲自协调",
    "进一步优化营商环境",
    "对工作不力的单位和个人严肃问责",
    "持续深化放管服改革",
    "全力以赴抓好安全生产和疫情防控",
    "加强经济运行监测分析",
    "切实解决企业发展中的困难和问题",
    "深入开展作风建设年活动",
    "确保各项工作落地见效",
]


def _run_on(n: int, marks: str = "", seed: int = 7) -> str:
    """About n characters of clauses joined by nothing (marks="") or by a random mark of `marks`."""
    rnd = random.Random(seed)
    out, size = [], 0
    while size < n:
        c = rnd.choice(CLAUSES if rnd.random() < 0.4 else PROSE).format(a=f"{rnd.randint(1, 999)}.{rnd.randint(1, 99)}", p=f"{rnd.randint(1, 15)}.{rnd.randint(0, 9)}",
                                       r=rnd.randint(1, 12), k=rnd.randint(10, 9000))
        if marks:
            c += rnd.choice(marks)
        out.append(c)
        size += len(c)
    return "".join(out)[:n]


def test_run_on_text_is_cut_into_bounded_sentences_that_cover_it():
    text = _run_on(20_000)
    sents = split_sentences(text)
    assert len(sents) >= 20_000 // RUN_ON_PIECE
    pos = 0
    for s in sents:
        assert s.end - s.start <= RUN_ON_PIECE
        assert s.end - s.start >= RUN_ON_PIECE // 2 or s is sents[-1]
        assert text[s.start:s.end] == s.text
        assert s.start == pos  # nothing lost, nothing doubled
        pos = s.end
    assert pos == len(text)


def test_a_cut_never_splits_a_quantity():
    text = _run_on(20_000)
    ends = {s.end for s in split_sentences(text)[:-1]}
    for m in regex.finditer(r"\d+(?:\.\d+)?(?:亿元|万吨|公里|%|人|位)", text):
        assert not any(m.start() < e < m.end() for e in ends), m.group(0)
    # with no quantity to cut after, numbers and Latin words are still kept whole
    plain = ("推进" + "ABC12345" * 3) * 60
    for e in {s.end for s in split_sentences(plain)[:-1]}:
        assert not (plain[e - 1].isascii() and plain[e].isascii())


def test_a_cut_falls_after_a_comma_when_one_is_left():
    text = _run_on(5_000, marks="，")
    for s in split_sentences(text)[:-1]:
        assert s.text.endswith("，")


def test_real_sentences_are_never_cut():
    # a long enumeration of the genre, still one sentence: under the bound it stays whole
    sentence = "，".join(c.format(a="12.5", p="6.3", r=3, k=120) for c in CLAUSES * 2)[:MAX_SENTENCE - 1] + "。"
    assert RUN_ON_PIECE < len(sentence) <= MAX_SENTENCE
    sents = split_sentences(sentence * 3)
    assert [s.text for s in sents] == [sentence] * 3


def test_records_of_a_run_on_page_still_come_out():
    run_on = extract(normalize_text(_run_on(3_000)))
    marked = extract(normalize_text(_run_on(3_000, marks="。")))  # the same clauses, each a sentence
    read = len(run_on.metrics) + len(run_on.targets)
    assert read >= 0.75 * (len(marked.metrics) + len(marked.targets)) > 20
    for rec in run_on.records:  # every record's evidence lies inside one bounded piece
        assert rec.end - rec.start <= RUN_ON_PIECE


def _timed(text: str) -> tuple[float, int]:
    """CPU seconds of this process (other sessions on the shared cores do not count) and records."""
    t0 = time.process_time()
    res = extract(normalize_text(text))
    return time.process_time() - t0, len(res.records)


def test_200k_characters_without_any_punctuation_in_under_3_seconds():
    extract(normalize_text("县发改局要牵头，确保固定资产投资增长8%以上。"))  # rules compiled before timing
    secs, n = _timed(_run_on(200_000))
    assert n > 1_000
    assert secs < 3.0, f"{secs:.1f} s"


def test_200k_characters_with_commas_but_no_sentence_ends_in_under_3_seconds():
    extract(normalize_text("县发改局要牵头，确保固定资产投资增长8%以上。"))
    secs, n = _timed(_run_on(200_000, marks="，、"))
    assert n > 1_000
    assert secs < 3.0, f"{secs:.1f} s"
