"""Normalize stage: decoding, script, furniture, page markers, placeholders, offsets."""
import regex
import pytest

from pipeline.normalize import InputError, decode, normalize_file, normalize_text


def _t2s(text):
    from opencc_pyo3 import OpenCC

    return OpenCC("t2s").convert(text)


def test_traditional_document_comes_out_simplified_without_furniture(docs):
    d = docs["001"]
    assert d.script == "traditional"
    assert _t2s(d.text) == d.text  # nothing left to convert
    assert "灵感范文站" not in d.text and "首页" not in d.text
    assert d.text.count("在全县三季度重点工作“擂台比武”大会上的讲话") == 1
    assert d.text.startswith("在全县三季度重点工作")
    assert "考核" in d.text and "考覈" not in d.text


def test_page_markers_removed_and_cut_sentence_rejoined(docs):
    d = docs["002"]
    assert not regex.search(r"(?m)^\d{1,3}、", d.text)
    assert "既是一次政府全体会" in d.text
    assert sum(1 for r in d.removed if r["reason"] == "page marker") == 16


def test_disclaimer_removed(docs):
    d = docs["003"]
    assert "免责声明" not in d.text and "网络整理" not in d.text
    assert d.text.rstrip().endswith("而努力奋斗！")


def test_placeholders_kept_and_marked(docs):
    d = docs["000"]
    assert "制造业投资增长*%" in d.text
    assert d.placeholders
    for s, e in d.placeholders[:50]:
        assert regex.fullmatch(r"[*＊Xx×□○o_]+", d.text[s:e])
    i = d.text.index("制造业投资增长*%") + len("制造业投资增长")
    assert d.is_masked(i, i + 1)
    assert not d.is_masked(0, 4)


def test_offsets_trace_clean_spans_back_to_source(docs):
    d = docs["001"]
    i = d.text.index("考核")
    s, e = d.source_span(i, i + 2)
    assert d.source[s:e] == "考覈"
    d2 = docs["002"]
    i = d2.text.index("既是一次政府全体会")
    s, e = d2.source_span(i, i + len("既是一次政府全体会"))
    assert regex.sub(r"\s|\d+、", "", d2.source[s:e]) == "既是一次政府全体会"
    # a span after the removed furniture maps exactly
    j = d.text.index("同志们")
    s, e = d.source_span(j, j + 3)
    assert d.source[s:e] == "同志們"


def test_byte_offsets_in_original_file(docs, tmp_path):
    p = tmp_path / "gbk.txt"
    p.write_bytes("同志们：\n今年以来，全县地区生产总值增长6.5%。".encode("gbk"))
    d = normalize_file(p)
    i = d.text.index("地区生产总值")
    bs, be = d.source_bytes_span(i, i + 6)
    assert p.read_bytes()[bs:be].decode("gbk") == "地区生产总值"


def test_gbk_and_big5_files_are_detected(tmp_path):
    text = "同志们：今年以来，全县上下认真落实县委部署，经济运行总体平稳，固定资产投资增长百分之八。"
    gbk = tmp_path / "a.txt"
    gbk.write_bytes(text.encode("gbk"))
    assert normalize_file(gbk).encoding == "gb18030"
    big5 = tmp_path / "b.txt"
    big5.write_bytes("同志們：今年以來，全縣上下認真落實縣委部署，經濟運行總體平穩，固定資產投資增長。".encode("big5"))
    d = normalize_file(big5)
    assert d.encoding == "big5" and d.script == "traditional"
    assert "经济运行总体平稳" in d.text


def test_utf16_and_bom(tmp_path):
    p = tmp_path / "u16.txt"
    p.write_bytes("同志们：全县经济运行平稳。".encode("utf-16"))
    assert normalize_file(p).text == "同志们：全县经济运行平稳。"
    q = tmp_path / "bom.txt"
    q.write_bytes(b"\xef\xbb\xbf" + "同志们：全县经济运行平稳。".encode("utf-8"))
    d = normalize_file(q)
    assert d.encoding == "utf-8-sig" and d.text.startswith("同志们")


def test_html_page_gives_article_body(tmp_path):
    page = """<!DOCTYPE html><html><head><title>在全县经济工作会议上的讲话_某某范文网</title>
    <script>var x = "全县";</script></head><body>
    <div class="nav"><a href="/">首页</a> &gt; <a>讲话稿</a></div>
    <div class="article-content"><h1>在全县经济工作会议上的讲话</h1>
    <p>同志们：</p><p>今年以来，全县地区生产总值增长6.5%，排全市第3位。</p>
    <p>下一步，县发改局要牵头做好项目谋划。</p></div>
    <div class="footer">版权所有 某某网</div></body></html>"""
    p = tmp_path / "page.html"
    p.write_text(page, encoding="utf-8")
    d = normalize_file(p)
    assert "地区生产总值增长6.5%" in d.text
    assert "var x" not in d.text and "版权所有" not in d.text and "首页" not in d.text
    i = d.text.index("县发改局")
    s, e = d.source_span(i, i + 4)
    assert d.source[s:e] == "县发改局"


def test_list_items_are_not_page_markers():
    text = ("同志们：\n下面讲三点意见。\n1、坚定信心。今年以来全县经济运行平稳。\n"
            "2、正视问题。我们也要看到差距。\n3、狠抓落实。各部门要扛起责任。")
    d = normalize_text(text)
    assert "1、坚定信心" in d.text and "3、狠抓落实" in d.text


def test_page_markers_with_list_items_inside():
    page1 = "同志们：今年以来，全县上下凝心聚力，" + "经济社会发展取得新成效，" * 12 + "主要做了以下工作：一是"
    page2 = "抓项目。" + "项目建设扎实推进，" * 15 + "下面讲三点：\n1、坚定信心。"
    text = f"1、{page1}\n2、{page2}\n3、总之，" + "我们要再接再厉，" * 15 + "奋力完成全年目标任务。"
    d = normalize_text(text)
    assert "一是抓项目" in d.text
    assert not regex.search(r"(?m)^[23]、", d.text.split("下面讲三点")[0])


def test_pinyin_glosses_and_width():
    d = normalize_text("同志们：推動經濟發(fā)展，會(huì)議要求ＧＤＰ增长１２．５％,排全市第３位。")
    assert "(fā)" not in d.text and "(huì)" not in d.text
    assert "发展" in d.text and "会议" in d.text
    assert "GDP增长12.5%，排全市第3位" in d.text


def test_rewriting_swaps_repaired_only_in_flagged_documents():
    swapped = ("同志们：推动高质量开展，经济社会开展势能不断集聚，打下坚实根底，优化效劳企业。"
               "我们要开展调研活动，推进县域开展。")
    d = normalize_text(swapped)
    assert "高质量发展" in d.text and "坚实基础" in d.text and "服务企业" in d.text
    assert "开展调研活动" in d.text  # 开展 is right here and stays
    assert d.repairs and all(r["from"] in ("开展", "根底", "效劳") for r in d.repairs)
    clean = normalize_text("同志们：我们要开展调研活动，推动高质量发展。")
    assert clean.repairs == [] and "开展调研活动" in clean.text


@pytest.mark.parametrize("data,reason", [
    (b"", "empty"),
    (b"   \n\t ", "white space"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "PNG"),
    (b"%PDF-1.7\n%...", "PDF"),
    (b"PK\x03\x04" + b"\x00" * 40, "DOCX"),
    (b"\x00\x01\x02\x03binary\x00\x00\xff", "binary"),
])
def test_bad_input_is_a_clear_error(tmp_path, data, reason):
    p = tmp_path / "bad.txt"
    p.write_bytes(data)
    with pytest.raises(InputError) as info:
        normalize_file(p)
    assert str(p) in str(info.value) and reason in str(info.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="not found"):
        normalize_file(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="folder"):
        normalize_file(tmp_path)


def test_non_chinese_text_is_refused(tmp_path):
    p = tmp_path / "en.txt"
    p.write_text("This is an English memo about quarterly results. " * 20, encoding="utf-8")
    with pytest.raises(InputError):
        normalize_file(p)


def test_mixed_utf8_and_gbk_lines():
    data = "同志们：全县经济运行平稳。\n".encode("utf-8") + "固定资产投资增长百分之八。\n".encode("gbk")
    text, enc = decode(data, "mixed.txt")
    assert enc == "mixed" and "固定资产投资增长" in text


def test_metadata_inferred_and_overridden(docs, tmp_path):
    m = docs["000"].meta
    assert m["year"] == 2023 and m["level"] == "县"
    assert m["period_reviewed"] == "二季度" and m["period_planned"] == "三季度"
    assert docs["001"].meta["period_planned"] == "四季度"
    p = tmp_path / "s.txt"
    p.write_text("凤县2023年一季度经济运行分析会讲话\n同志们：\n今年以来，全县经济增长5%。", encoding="utf-8")
    assert normalize_file(p).meta["locality"] == "凤县"
    (tmp_path / "s.meta.json").write_text('{"locality": "留坝县", "meeting_date": "2023-04-12"}', encoding="utf-8")
    d = normalize_file(p)
    assert d.meta["locality"] == "留坝县" and d.meta["meeting_date"] == "2023-04-12"


def test_level_from_the_title_before_the_counts():
    # the body names 县政府 more often than 全市 (各区县政府), but the title says whose meeting it is
    text = "在全市一季度经济运行调度会上的讲话\n同志们：\n各区县政府要落实主体责任，区县政府主要领导要亲自抓。"
    assert normalize_text(text).meta["level"] == "市"
    assert normalize_text(text.replace("全市", "全县", 1)).meta["level"] == "县"
    # a title naming two levels decides nothing: the counts do
    both = "在市委县委联席会议上的讲话\n同志们：\n全县上下要…全县…县委…"
    assert normalize_text(both).meta["level"] == "县"


def test_truncated_speech_is_flagged(docs):
    assert docs["002"].meta.get("truncated") is True
    assert not docs["000"].meta.get("truncated")


# ---------------------------------------------------------------- damaged bytes and invisible characters (issue 19)

SPEECH = """在全县二季度经济运行调度会上的讲话
同志们：
一、上半年经济运行情况
上半年，全县地区生产总值完成86.4亿元，同比增长6.8%。
规模以上工业增加值增长9.2%，增速排全市第3位。
固定资产投资完成42.7亿元，同比增长11.5%。
社会消费品零售总额达到31.2亿元，增长7.4%。
一般公共预算收入完成5.6亿元，同比下降2.1%。
二、下半年重点工作
县发改局要牵头，会同县财政局，于9月底前完成专项债券项目申报。
全年固定资产投资要确保增长12%以上。
各乡镇要力争三季度新开工项目15个以上。
县统计局要加强经济运行监测分析，每月10日前报送数据。
"""


def _records(text):
    from pipeline.extraction import extract

    res = extract(normalize_text(text))
    return sorted((r.type, getattr(r, "indicator", None), getattr(r, "value", None), getattr(r, "unit", None),
                   tuple(u.name for u in getattr(r, "units", None) or ()), getattr(r, "deadline", None))
                  for r in res.records)


def test_mostly_utf8_file_with_damaged_bytes_is_read_as_utf8(tmp_path):
    lines = SPEECH.encode("utf-8").split(b"\n")
    # one bad byte on more than half of the lines, between two characters (every character here is 3 bytes)
    damaged = [ln[:12] + b"\xff" + ln[12:] if i % 3 != 2 and len(ln) > 12 else ln for i, ln in enumerate(lines)]
    bad = sum(1 for a, b in zip(lines, damaged) if a != b)
    assert bad > len(lines) // 2
    p = tmp_path / "damaged.txt"
    p.write_bytes(b"\n".join(damaged))
    doc = normalize_file(p)
    assert doc.encoding == "utf-8"
    assert doc.text == normalize_text(SPEECH).text  # the bad bytes are gone, every character is kept
    assert {"reason": "undecodable bytes (U+FFFD)", "count": bad} in doc.removed
    assert any("could not be decoded" in w for w in doc.warnings)
    assert _records(doc.source) == _records(SPEECH)
    # the source keeps the damage where it was: a clean span maps back around it
    i = doc.text.index("同比增长6.8%")
    s, e = doc.source_span(i, i + 8)
    assert doc.source[s:e].replace("\ufffd", "") == "同比增长6.8%"


def test_normalize_json_counts_the_damaged_bytes(tmp_path):
    import json

    from click.testing import CliRunner

    from pipeline.cli import main

    p = tmp_path / "damaged.txt"
    p.write_bytes(SPEECH.encode("utf-8").replace("同比".encode(), b"\xfe" + "同比".encode()))
    out = CliRunner().invoke(main, ["normalize", str(p), "--json"], catch_exceptions=False).stdout
    data = json.loads(out)
    assert data["encoding"] == "utf-8"
    assert {"reason": "undecodable bytes (U+FFFD)", "count": SPEECH.count("同比")} in data["removed"]


def test_gbk_lines_among_damaged_utf8_lines_are_still_gbk():
    utf8 = "同志们：全县经济运行总体平稳，稳中有进。\n".encode("utf-8")
    damaged = "上半年全县地区生产总值同比增长6.8%。\n".encode("utf-8").replace(b"%", b"\xff%")
    gbk = "固定资产投资增长百分之八，工业投资增长百分之十二。\n".encode("gbk")
    text, enc = decode(utf8 + damaged + gbk, "mixed.txt")
    assert enc == "mixed"
    assert "固定资产投资增长百分之八" in text and "同比增长6.8\ufffd%" in text
    # a whole GBK file is not damaged UTF-8
    assert decode(SPEECH.encode("gbk"))[1] == "gb18030"


INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
             "\u2060", "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff", "\u061c"]


def _sprinkle(text, every):
    out, k = [], 0
    for i, ch in enumerate(text):
        out.append(ch)
        if i % every == every - 1:
            out.append(INVISIBLE[k % len(INVISIBLE)])
            k += 1
    return "".join(out), k


@pytest.mark.parametrize("every", [40, 3, 1])
def test_invisible_characters_are_removed_and_counted(every):
    dirty, n = _sprinkle(SPEECH, every)
    doc = normalize_text(dirty)
    assert doc.text == normalize_text(SPEECH).text
    assert {"reason": "invisible characters (zero-width, direction marks)", "count": n} in doc.removed
    assert _records(dirty) == _records(SPEECH)
    # offsets still lead back to the source, invisible characters and all
    for word in ("同比增长6.8%", "县发改局要牵头", "9月底前"):
        i = doc.text.index(word)
        s, e = doc.source_span(i, i + len(word))
        assert regex.sub("[\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\u061c]", "", doc.source[s:e]) == word


def test_clean_text_reports_nothing_removed():
    doc = normalize_text(SPEECH)
    assert not any("invisible" in r["reason"] or "undecodable" in r["reason"] for r in doc.removed)
    assert not doc.warnings or not any("decoded" in w for w in doc.warnings)
