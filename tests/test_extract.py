"""The whole pipeline on one input: sections on records, units on targets."""
from pipeline.extraction import extract


def test_target_takes_the_units_of_the_task_before_it():
    text = ("同志们：\n一、抓好下步重点工作\n县住建局牵头，各乡镇具体负责，确保年底前完成农村危房改造500户以上。"
            "全县粮食产量稳定在20万吨以上。")
    r = extract(text)
    by_value = {t.value: t for t in r.targets}
    assert {u.name for u in by_value[500].units} == {"县住建局", "各乡镇"}
    assert by_value[500].deadline == "年底前" and by_value[500].comparator == ">="
    assert by_value[20].units == [] and by_value[20].comparator == ">="  # another sentence, nobody named


def test_records_carry_their_section_path_and_role():
    text = ("同志们：\n一、回顾成绩\n上半年，全县地区生产总值增长6.1%。\n"
            "二、部署下步重点工作\n县发改局要抓紧编制项目清单。")
    r = extract(text)
    growth = next(m for m in r.metrics if m.measure == "growth")
    assert growth.section[0] == "回顾成绩" and growth.section_role == "achievements"
    task = r.tasks[0]
    assert task.section[0] == "部署下步重点工作" and task.section_role == "tasks"
