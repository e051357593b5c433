"""Names compared across scripts and spellings: transliteration, diminutives and phonetic keys.

Every name word is reduced to a *skeleton*: Latin, lower case, with the differences between the
transliteration schemes people use for Russian names folded away (Юлия, Yulia, Yuliya, Iuliia and
Julia all become ``yulya``). Skeletons are compared with rapidfuzz and keyed with a phonetic code
(jellyfish's metaphone), so a typo or a scheme we did not foresee still lands in the same block.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path

import jellyfish
from anyascii import anyascii

_DATA = Path(__file__).with_name("data")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_NOT_LATIN = re.compile(r"[^a-z]+")

# Rewrites on the transliterated, lower-case word, in order. Upper-case letters are placeholders
# that protect a result from later rules (J is "дж", C is "ч", Z is "ж", T is "ц").
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"shch|sch|shh", "sh"),  # Щ: BGN, German, GOST 7.79-B
        (r"tsch|tch|ch", "C"),  # Ч (German "tsch", French-style "tch")
        (r"dzh|dj", "J"),  # Дж
        (r"^j(?=[aeiou])|^i(?=[aeou])", "y"),  # Julia, Iuliia, Iakov: a leading Й-vowel
        (r"j", "y"),  # Sergej, Jakov
        (r"kh", "h"),  # Х: Mikhail / Mihail
        (r"zh", "Z"),  # Ж, kept apart from "z"
        (r"ph", "f"),
        (r"th", "t"),
        (r"ck", "k"),
        (r"x", "ks"),  # Alexander / Aleksandr
        (r"q", "k"),
        (r"w", "v"),  # Iwanow
        (r"ts|tz", "T"),  # Ц
        (r"c(?=[eiy])", "s"),  # Latin c before a front vowel sounds s
        (r"c", "k"),
        (r"i+y?(?=[aueo])", "y"),  # Maria / Mariya / Mariia, Yuliya, Kseniya
        (r"(?<=[aeiou])y(?=[aeiou])", ""),  # Andreyev / Andreev
        (r"^ye|^yo", "e"),  # Yevgeny / Evgeny, Yolkin
        (r"(?<=[^aeiou])yo", "e"),  # Ё after a consonant: Alyona / Alena, Fyodor / Fedor
        (r"(?<=[aeou])y(?![aeiou])", "i"),  # Sergey / Sergei, Nikolay / Nikolai
        (r"(?:iy|yi|ii|yy|y)$", "i"),  # Dmitriy / Dmitrii / Dmitry
        (r"(?<=[^aeiou])y(?![aeiou])", "i"),  # the hard-sign "y" inside a word
        (r"(?<=[ao])ff$", "v"),  # Iwanoff, Smirnoff
        (r"(.)\1+", r"\1"),  # doubled letters: Anna / Ana, Kirill / Kiril
    )
)
_FINAL = str.maketrans({"J": "j", "C": "ch", "Z": "zh", "T": "ts"})


@lru_cache(maxsize=200_000)
def skeleton(word: str) -> str:
    """Latin comparison form of one name word (or a multi-word name, with spaces dropped)."""
    text = word.lower().replace("ё", "е")
    if not text.isascii():
        text = anyascii(text).lower()
    text = _NOT_LATIN.sub("", text)
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text.translate(_FINAL)


def is_cyrillic(text: str) -> bool:
    """True when the text has Cyrillic letters."""
    return bool(_CYRILLIC.search(text))


@lru_cache(maxsize=200_000)
def phonetic(skel: str) -> str:
    """Phonetic code of a skeleton for blocking: absorbs most typos and vowel differences."""
    if not skel:
        return ""
    return jellyfish.metaphone(skel) or skel[:3].upper()


def _read_name_table(filename: str) -> dict[str, set[str]]:
    """Map every written form's skeleton to the skeletons of the full names it can stand for."""
    table: dict[str, set[str]] = {}
    for line in (_DATA / filename).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        full, variants = line.split(":", 1)
        canonical = skeleton(full.strip())
        table.setdefault(canonical, set()).add(canonical)
        for variant in variants.split():
            table.setdefault(skeleton(variant), set()).add(canonical)
    return table


@cache
def _name_table() -> dict[str, frozenset[str]]:
    merged: dict[str, set[str]] = {}
    for filename in ("diminutives_ru.txt", "diminutives_en.txt"):
        for form, fulls in _read_name_table(filename).items():
            merged.setdefault(form, set()).update(fulls)
    # A full name that is itself a variant of another (Alexander -> Александр) keeps both, so
    # "Alex" (-> alexander, aleksandr, alexandra) meets Александр through either.
    return {form: frozenset(fulls) for form, fulls in merged.items()}


@lru_cache(maxsize=100_000)
def first_name_forms(skel: str) -> frozenset[str]:
    """Skeletons of the full given names a written first name may stand for (itself included)."""
    if not skel:
        return frozenset()
    fulls = _name_table().get(skel)
    if fulls is None:
        return frozenset((skel,))
    return fulls | {skel}


def is_known_form(skel: str) -> bool:
    """True when the skeleton is a given name or diminutive in the shipped tables."""
    return skel in _name_table()


def is_diminutive_pair(a: str, b: str) -> bool:
    """True when two different written first names can be one full name."""
    return a != b and bool(first_name_forms(a) & first_name_forms(b))


# Russian surnames change with gender: Иванов / Иванова, Чайковский / Чайковская.
_FEMININE_ENDINGS = (("ova", "ov"), ("eva", "ev"), ("ina", "in"), ("yna", "yn"), ("ska", "ski"))  # -ская -> "ska"


def surname_gender_pair(a: str, b: str) -> bool:
    """True when two surname skeletons are the male and female forms of one family name."""
    if a == b:
        return False
    for fem, masc in _FEMININE_ENDINGS:
        if (a.endswith(fem) and b.endswith(masc) and a[: -len(fem)] == b[: -len(masc)]) or (
            b.endswith(fem) and a.endswith(masc) and b[: -len(fem)] == a[: -len(masc)]
        ):
            return True
    return False


@cache
def _common_names() -> tuple[frozenset[str], frozenset[str]]:
    """Skeletons of the most frequent surnames (both gender forms) and given names."""
    surnames: set[str] = set()
    firsts: set[str] = set()
    target = surnames
    for line in (_DATA / "common_names.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line == "[surnames]":
            target = surnames
        elif line == "[first names]":
            target = firsts
        elif line:
            for word in line.split():
                target.add(skeleton(word))
    feminine = {skel + "a" for skel in surnames if skel.endswith(("ov", "ev", "in"))}
    return frozenset(surnames | feminine), frozenset(firsts)


def is_common_surname(skel: str) -> bool:
    """True for the most frequent surnames (Иванов, Smith ...): agreement on them proves less."""
    return skel in _common_names()[0]


def is_common_first_name(skel: str) -> bool:
    """True for the most frequent given names (Александр, Елена, John ...)."""
    return skel in _common_names()[1]
