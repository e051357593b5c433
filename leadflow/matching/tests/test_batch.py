from leadflow.matching.batch import cluster
from leadflow.matching.record import Record

R = Record.from_raw


def _groups(mapping: dict[str, str]) -> set[frozenset[str]]:
    out: dict[str, set[str]] = {}
    for rid, cid in mapping.items():
        out.setdefault(cid, set()).add(rid)
    return {frozenset(group) for group in out.values()}


def test_cluster_groups_one_person_and_keeps_others_apart() -> None:
    records = [
        R("1", name="Иванова Юлия Сергеевна", phone="8 (912) 345-67-89"),
        R("2", name="Yulia Ivanova", phone="+7 912 3456789", email="yulia.ivanova@gmail.com"),
        R("3", name="Юля Иванова", email="Yulia.Ivanova+crm@googlemail.com"),
        R("4", name="Иванова Юлия Сергеевна", phone="+79160000000", email="other@mail.ru"),  # namesake
        R("5", name="Пётр Сидоров", phone="+7 495 123-45-67 доб. 12", company="ООО Ромашка"),
        R("6", name="Мария Сидорова", phone="+7 495 123-45-67 доб. 13", company="Romashka LLC"),  # colleague
        R("7", name="Petr Sidorov", phone="84951234567 ext. 12"),
    ]
    result = cluster(records)
    assert set(result) == {r.id for r in records}
    assert _groups(result) == {frozenset({"1", "2", "3"}), frozenset({"4"}), frozenset({"5", "7"}), frozenset({"6"})}
    assert result["2"] == result["3"] == "1"  # the cluster id is the first member's id


def test_no_chaining_through_a_shared_mailbox() -> None:
    # A family mailbox links two different people; each is sure of their own phone.
    records = [
        R("a1", name="Иван Петров", phone="+79121111111", email="petrovy@mail.ru"),
        R("a2", name="Иван Петров", phone="+79121111111"),
        R("b1", name="Мария Петрова", phone="+79122222222", email="petrovy@mail.ru"),
        R("b2", name="Мария Петрова", phone="+79122222222"),
    ]
    assert _groups(cluster(records)) == {frozenset({"a1", "a2"}), frozenset({"b1", "b2"})}


def test_threshold_and_progress() -> None:
    calls: list[tuple[int, int]] = []
    records = [R("1", name="Иван Петров", phone="+79121111111"), R("2", name="Иван", phone="89121111111")]
    assert cluster(records, progress=lambda done, total: calls.append((done, total))) == {"1": "1", "2": "1"}
    assert calls and calls[-1][0] == calls[-1][1]
    assert cluster(records, threshold=1.0) == {"1": "1", "2": "2"}


def test_empty_and_single() -> None:
    assert cluster([]) == {}
    assert cluster([Record(id="x")]) == {"x": "x"}


def test_an_over_large_office_block_is_split_by_extension() -> None:
    office = [R(str(i), name=f"Сотрудник{i} Компании", phone=f"+7 495 123-45-67 доб. {i}") for i in range(300)]
    again = R("again", name="Сотрудник7 Компании", phone="+7 495 123-45-67 доб. 7")
    result = cluster([*office, again])
    assert result["again"] == "7"
    assert len(set(result.values())) == 300
