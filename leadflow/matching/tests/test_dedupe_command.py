import csv
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def _run(tmp_path: Path, text: str, *args: str, encoding: str = "utf-8") -> list[tuple[str, str]]:
    source = tmp_path / "in.csv"
    source.write_bytes(text.encode(encoding))
    out = tmp_path / "out.csv"
    call_command("dedupe", str(source), "--output", str(out), *args)
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["id", "cluster_id"]
    return [(row[0], row[1]) for row in rows[1:]]


LEADS = """id,name,email,phone,company,city,notes
1,Иванова Юлия Сергеевна,,8 (912) 345-67-89,,Москва,first call
2,Yulia Ivanova,Yulia.Ivanova+crm@gmail.com,+7 912 3456789,,,
3,Юля Иванова,yuliaivanova@googlemail.com,,,,
4,Иванова Юлия Сергеевна,other@mail.ru,+7 916 000-00-00,,,namesake
5,Пётр Сидоров,,+7 495 123-45-67 доб. 12,ООО «Ромашка»,,
6,Мария Сидорова,,+7 495 123-45-67 доб. 13,Romashka LLC,,colleague
7,Petr Sidorov,p.sidorov@romashka.ru,84951234567 ext. 12,,,
"""


def test_file_mode_writes_every_row_with_exact_clusters(tmp_path: Path) -> None:
    assert _run(tmp_path, LEADS) == [
        ("1", "1"),
        ("2", "1"),
        ("3", "1"),
        ("4", "4"),
        ("5", "5"),
        ("6", "6"),
        ("7", "5"),
    ]


def test_semicolon_delimiter_bom_and_split_name_columns(tmp_path: Path) -> None:
    text = (
        "ID;First_Name;Last Name;Middle_Name;E-mail;Phone\n"
        "a;Bob;Smith;;bob.smith@example.com;\n"
        "b;Robert;Smith;;BOB.SMITH@EXAMPLE.COM ;\n"
        "c;Robert;Smith;;;+1 650 253 0000\n"
    )
    assert _run(tmp_path, "\ufeff" + text) == [("a", "a"), ("b", "a"), ("c", "c")]


def test_tab_delimited_with_missing_columns(tmp_path: Path) -> None:
    text = "id\tphone\n10\t+79123456789\n11\t8 912 345 67 89\n12\t\n"
    assert _run(tmp_path, text) == [("10", "10"), ("11", "10"), ("12", "12")]


def test_bad_rows_never_crash(tmp_path: Path) -> None:
    text = (
        "id,name,email,phone,birth_date\n"
        "1,Иван Петров,not-an-email,12,31.31.1999\n"
        "2,,@@@,+7 (912),garbage\n"
        "3,Иван Петров,,+7 912 111 22 33,1980-01-02,extra,columns\n"
        "4\n"
        "5,\x00Иван Петров,,89121112233,\n"
        ",nameless id,,,\n"
    )
    assert _run(tmp_path, text) == [("1", "1"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "3"), ("", "")]


def test_repeated_ids_get_one_answer_per_row(tmp_path: Path) -> None:
    text = "id,phone\nx,+79123456789\nx,+79123456789\ny,+79990000000\n"
    assert _run(tmp_path, text) == [("x", "x"), ("x", "x"), ("y", "y")]


def test_region_sets_the_default_country(tmp_path: Path) -> None:
    text = "id,name,phone\n1,John Smith,020 7946 0958\n2,John Smith,+44 20 7946 0958\n"
    assert _run(tmp_path, text, "--region", "GB") == [("1", "1"), ("2", "1")]
    assert _run(tmp_path, text) == [("1", "1"), ("2", "2")]  # as a Russian number it is not valid


def test_threshold_option(tmp_path: Path) -> None:
    text = "id,name,phone\n1,Иван Петров,+79121112233\n2,Ваня Петров,89121112233\n"
    assert _run(tmp_path, text) == [("1", "1"), ("2", "1")]
    assert _run(tmp_path, text, "--threshold", "1.0") == [("1", "1"), ("2", "2")]
    with pytest.raises(CommandError):
        _run(tmp_path, text, "--threshold", "0")


def test_missing_id_column_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no 'id' column"):
        _run(tmp_path, "name,phone\nИван,+79121112233\n")


def test_missing_or_empty_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No such file"):
        call_command("dedupe", str(tmp_path / "nope.csv"), "--output", str(tmp_path / "o.csv"))
    with pytest.raises(CommandError, match="empty"):
        _run(tmp_path, "")


def test_stdout_when_no_output_and_no_progress_off_a_terminal(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    source = tmp_path / "in.csv"
    source.write_text("id,phone\n1,+79121112233\n2,89121112233\n", encoding="utf-8")
    call_command("dedupe", str(source))
    captured = capsys.readouterr()
    assert captured.out.splitlines() == ["id,cluster_id", "1,1", "2,1"]
    assert "comparing" not in captured.err and "reading" not in captured.err


@pytest.mark.django_db
def test_database_mode_refuses_to_merge_without_a_user() -> None:
    with pytest.raises(CommandError, match="--as USERNAME"):
        call_command("dedupe", "--merge")
