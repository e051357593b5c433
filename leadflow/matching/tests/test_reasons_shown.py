"""Matching's reasons shown in the reader's language (leadflow.matching.reasons)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.utils import translation

from leadflow.matching import compare
from leadflow.matching.reasons import PATTERN, shown


def reason_texts() -> set[str]:
    """Every text compare.py can put into a reason: its string constants with a space in them, docstrings aside."""
    tree = ast.parse(Path(compare.__file__).read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return {node.value.strip() for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and " " in node.value.strip()
            and id(node) not in docstrings}


def test_every_reason_compare_gives_is_a_known_phrase():
    uncovered = sorted(text for text in reason_texts() if PATTERN.sub("", text).strip(" ,:.0123456789"))
    assert uncovered == []


def test_every_phrase_is_russian_in_russian():
    with translation.override("ru"):
        for text in reason_texts():
            assert shown(text) != text, text


@pytest.mark.parametrize(("english", "russian"), [
    ("0.97: phone equal, surname equal after transliteration",
     "0.97: телефон совпадает, фамилия совпадает после транслитерации"),
    ("address similar 0.87, same company, different person", "адрес похож 0.87, та же компания, другой человек"),
    ("e-mail equal after provider alias, dots in the name",
     "e-mail совпадает после псевдонима почтового сервиса, точек в имени"),
])
def test_reasons_read_in_russian(english, russian):
    with translation.override("ru"):
        assert shown(english) == russian
    with translation.override("en"):
        assert shown(english) == english
