"""Pairwise comparison: how likely two records are one person, and why.

Each field that both records have gives a piece of evidence, a weight in log-odds (positive for
agreement, negative for disagreement) with a human reason; the sum plus a prior goes through the
logistic function. The weights follow Fellegi-Sunter reasoning (how much likelier the observation is
for one person than for two different people), set by hand and checked on Febrl and on the synthetic
Russian/English set (benchmarks/matching.py), so the score is a calibrated-ish probability.

The rules the domain insists on are weights too: a name alone never reaches the upper threshold
(namesakes exist), a shared company or e-mail domain is not a shared person (colleagues), a shared
office line is weak, and two different extensions on it count against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rapidfuzz.distance import OSA, JaroWinkler
from rapidfuzz.fuzz import token_sort_ratio

from leadflow.matching.names import (
    first_name_forms,
    is_common_first_name,
    is_common_surname,
    surname_gender_pair,
)
from leadflow.matching.record import Features, NamePart, Record, canonical_email, features

UPPER_DEFAULT: float = 0.9
LOWER_DEFAULT: float = 0.6

NAME_ALONE_CAP = 5.5  # most a name can weigh when no other field agrees (stays below UPPER_DEFAULT)
PRIOR = -4.5  # log-odds of a candidate pair (sharing a key) before any evidence

# Contacts
W_EMAIL_EQUAL = 8.0
W_EMAIL_ROLE = 4.0  # the same info@ / sales@ mailbox: a company's, shared by its people (like an office line)
W_EMAIL_LOCAL = 1.0  # the same mailbox name at two free providers (namesakes often pick the same)
W_EMAIL_DIFFERENT = -2.0
W_PHONE_MOBILE = 7.5
W_PHONE_LANDLINE = 5.0
W_OFFICE_SAME_EXTENSION = 7.5
W_OFFICE_LINE = 1.0
W_OFFICE_OTHER_EXTENSION = -4.0
W_PHONE_DIFFERENT = -2.5  # two mobiles
W_PHONE_DIFFERENT_KIND = -0.5  # an office line or landline against another number: people have both
W_PHONE_TYPO = 0.0  # two mobiles one typed digit apart: no evidence either way (a name alone may then be a duplicate)
TYPO_CAP = 2.0  # most a pair may weigh when a mistyped number is all its contacts say (score 0.88: never attached)
W_INN_PERSON = 8.0
W_CORP_DOMAIN = 0.5
# Names
W_FIRST_EQUAL = 2.5
W_COMMON_FIRST = -0.7  # adjustment when the agreeing given name is one of the most frequent
W_FIRST_DIMINUTIVE = 2.0
W_FIRST_SIMILAR = 1.0
W_FIRST_CLOSE = -0.5
W_FIRST_INITIAL = 0.5
W_FIRST_DIFFERENT = -3.0
W_LAST_EQUAL = 3.5
W_COMMON_LAST = -1.5  # adjustment when the agreeing surname is one of the most frequent
W_LAST_SIMILAR = 2.0
W_LAST_CLOSE = 0.5
W_LAST_GENDER = -2.5
W_LAST_DIFFERENT = -3.0
W_MIDDLE_EQUAL = 1.5
W_MIDDLE_SIMILAR = 0.7
W_MIDDLE_INITIAL = 0.3
W_MIDDLE_DIFFERENT = -3.0
W_SWAPPED = -0.3
# Other fields
W_BIRTH_EQUAL = 6.0
W_BIRTH_SIMILAR = 1.0
W_BIRTH_DIFFERENT = -2.5
W_ADDRESS_EQUAL = 4.0
W_ADDRESS_SIMILAR = 3.0
W_ADDRESS_DIFFERENT = -2.0
W_POSTCODE_EQUAL = 3.0
W_POSTCODE_SIMILAR = 0.5
W_POSTCODE_DIFFERENT = -1.0
W_CITY_EQUAL = 1.0
W_CITY_DIFFERENT = -1.0
W_COMPANY_EQUAL = 0.5
W_COMPANY_DIFFERENT = -0.7


@dataclass(frozen=True)
class Match:
    """How likely two records are one person (0..1), and the evidence in words."""

    score: float
    reasons: tuple[str, ...]


def compare(a: Record, b: Record) -> Match:
    """Score two records: a calibrated-ish probability that they are the same person, with reasons."""
    return compare_features(features(a), features(b))


def compare_features(a: Features, b: Features) -> Match:
    """`compare` on precomputed features (the batch scan calls this directly)."""
    reasons: list[str] = []
    contacts = _contacts(a, b, reasons)
    names = _names(a, b, reasons)
    others = _other_fields(a, b, reasons)
    if contacts <= 0 and others <= 0:
        # Nothing but the name agrees: namesakes exist, so this is at most a possible duplicate.
        names = min(names, NAME_ALONE_CAP)
    total = PRIOR + contacts + names + others
    if contacts <= 0 and "phones one digit apart (a typo?)" in reasons:
        # A number one digit off is a reason to look, never proof, whatever else agrees (a namesake in one city).
        total = min(total, TYPO_CAP)
    if "same company" in reasons and ("different first names" in reasons or "different surnames" in reasons):
        reasons[reasons.index("same company")] = "same company, different person"
    score = 1.0 / (1.0 + math.exp(-total)) if total > -40 else 0.0
    return Match(score=round(score, 4), reasons=tuple(reasons))


# The reasons that say two cards hold one reachable contact of a person: calling or writing to one reaches the other,
# whatever the names say ("phone equal" with "different first names" is a family's or colleagues' shared mobile).
# A role mailbox or an office line without the extension is a company's, not a person's, and is not among them.
SHARED_CONTACT_REASONS = frozenset({"phone equal", "phone equal (landline, may be shared)",
                                    "same office line and extension"})


def shares_contact(reasons: list[str] | tuple[str, ...]) -> bool:
    """Whether a comparison's reasons say the two cards share a person's own phone or e-mail address."""
    return any(reason in SHARED_CONTACT_REASONS or reason.startswith("e-mail equal") for reason in reasons)


def score_features(a: Features, b: Features) -> float:
    """Only the score (no reasons kept), for the batch scan."""
    return compare_features(a, b).score


# ---------------------------------------------------------------------------------------------
# Contacts
# ---------------------------------------------------------------------------------------------


def _contacts(a: Features, b: Features, reasons: list[str]) -> float:
    weight = 0.0
    if a.emails and b.emails:
        shared = a.emails & b.emails
        if shared and shared <= a.role_emails:
            weight += W_EMAIL_ROLE
            reasons.append("same role mailbox (info@, sales@: a company's, may be shared)")
        elif shared:
            weight += W_EMAIL_EQUAL
            reasons.append(_email_reason(a, b))
        elif a.free_locals & b.free_locals and any(len(local) >= 5 for local in a.free_locals & b.free_locals):
            weight += W_EMAIL_LOCAL
            reasons.append("same mailbox name at another provider")
        else:
            weight += W_EMAIL_DIFFERENT
            reasons.append("different e-mails")
            if a.corp_domains & b.corp_domains:
                weight += W_CORP_DOMAIN
                reasons.append("same company e-mail domain (not the same person by itself)")
    if a.phones and b.phones:
        weight += _phones(a, b, reasons)
    if a.inn and b.inn and len(a.inn) == 12 and len(b.inn) == 12:
        if a.inn == b.inn:
            weight += W_INN_PERSON
            reasons.append("personal INN equal")
        else:
            weight += W_INN_PERSON * -0.5
            reasons.append("different personal INN")
    return weight


def _email_reason(a: Features, b: Features) -> str:
    if a.raw_emails & b.raw_emails:
        return "e-mail equal"
    pairs = [(x, y) for x in a.raw_emails for y in b.raw_emails if canonical_email(x) == canonical_email(y)]
    if not pairs:
        return "e-mail equal after normalisation"
    (x_local, _, x_domain), (y_local, _, y_domain) = (pairs[0][0].rpartition("@"), pairs[0][1].rpartition("@"))
    notes = []
    if x_domain != y_domain:
        notes.append("provider alias")
    if "+" in x_local or "+" in y_local:
        notes.append("+tag")
    if x_local.split("+", 1)[0] != y_local.split("+", 1)[0]:
        notes.append("dots in the name")
    return "e-mail equal after " + ", ".join(notes)


def one_typo_apart(x: str, y: str) -> bool:
    """Two numbers of one length that differ by one digit typed wrong, or by two neighbouring digits swapped
    ("+79163334455" and "+79163334456", "...4455" and "...4545"): what a slip on a form or a misheard call gives."""
    if len(x) != len(y) or x == y:
        return False
    differ = [i for i, (p, q) in enumerate(zip(x, y, strict=True)) if p != q]
    if len(differ) == 1:
        return True
    first, second = differ[0], differ[-1]
    return len(differ) == 2 and second == first + 1 and x[first] == y[second] and x[second] == y[first]


def _phones(a: Features, b: Features, reasons: list[str]) -> float:
    best: tuple[float, str] | None = None
    for e164, a_exts in a.phones.items():
        b_exts = b.phones.get(e164)
        if b_exts is None:
            continue
        if "" in a_exts and "" in b_exts:
            found = (
                (W_PHONE_MOBILE, "phone equal")
                if e164 in a.mobiles
                else (W_PHONE_LANDLINE, "phone equal (landline, may be shared)")
            )
        elif a_exts & b_exts:
            found = (W_OFFICE_SAME_EXTENSION, "same office line and extension")
        elif "" in a_exts or "" in b_exts:
            found = (W_OFFICE_LINE, "same office line (one without extension)")
        else:
            found = (W_OFFICE_OTHER_EXTENSION, "different extension on the same office line")
        if best is None or found[0] > best[0]:
            best = found
    if best is None:
        mobiles_only = a.only_mobiles and b.only_mobiles
        if mobiles_only and any(one_typo_apart(x, y) for x in a.phones for y in b.phones):
            reasons.append("phones one digit apart (a typo?)")
            return W_PHONE_TYPO
        reasons.append("different phones")
        return W_PHONE_DIFFERENT if mobiles_only else W_PHONE_DIFFERENT_KIND
    reasons.append(best[1])
    return best[0]


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------


def _first_level(x: NamePart, x_forms: frozenset[str], y: NamePart, y_forms: frozenset[str]) -> tuple[float, str]:
    if not x.skel or not y.skel:
        return 0.0, ""
    if x.initial or y.initial:
        short, full = (x, y) if x.initial else (y, x)
        if full.skel.startswith(short.skel) or (full.initial and short.skel[:1] == full.skel[:1]):
            return W_FIRST_INITIAL, "first initial agrees"
        return W_FIRST_DIFFERENT * 0.7, "different first initial"
    if x.skel == y.skel:
        common = W_COMMON_FIRST if _is_common(x.skel) else 0.0
        return W_FIRST_EQUAL + common, "first name equal" + _translit_note(x, y)
    if x_forms & y_forms:
        common = W_COMMON_FIRST if any(_is_common(form) for form in x_forms & y_forms) else 0.0
        return W_FIRST_DIMINUTIVE + common, "first name equal after diminutive"
    sim = _similarity(x, y)
    if sim >= 0.9 or _one_typo(x, y):
        return W_FIRST_SIMILAR, f"first name similar {sim:.2f}"
    if sim >= 0.8:
        return W_FIRST_CLOSE, f"first name close {sim:.2f}"
    return W_FIRST_DIFFERENT, "different first names"


def _is_common(skel: str) -> bool:
    """A frequent given name or surname, in whichever field it was typed (forms mix them up)."""
    return is_common_first_name(skel) or is_common_surname(skel)


def _similarity(x: NamePart, y: NamePart) -> float:
    """Jaro-Winkler of the skeletons, or of the plain transliterations when a typo broke a rewrite."""
    return max(JaroWinkler.normalized_similarity(x.skel, y.skel), JaroWinkler.normalized_similarity(x.plain, y.plain))


def _one_typo(x: NamePart, y: NamePart) -> bool:
    """One edit (or a swap of neighbours) apart, in a name long enough for that to mean a typo."""
    if min(len(x.plain), len(y.plain)) < 5:
        return False
    return OSA.distance(x.skel, y.skel) <= 1 or OSA.distance(x.plain, y.plain) <= 1


def _last_level(x: NamePart, y: NamePart) -> tuple[float, str]:
    if not x.skel or not y.skel:
        return 0.0, ""
    if x.initial or y.initial:
        return (0.3, "surname initial agrees") if x.skel[0] == y.skel[0] else (W_LAST_DIFFERENT, "different surnames")
    if x.skel == y.skel:
        common = W_COMMON_LAST if _is_common(x.skel) else 0.0
        return W_LAST_EQUAL + common, "surname equal" + _translit_note(x, y)
    if surname_gender_pair(x.skel, y.skel):
        return W_LAST_GENDER, "surname in the other gender form"
    sim = _similarity(x, y)
    if sim >= 0.92 or _one_typo(x, y):
        if _is_common(x.skel) or _is_common(y.skel):
            return W_LAST_SIMILAR + W_COMMON_LAST / 2, f"surname similar {sim:.2f}"
        return W_LAST_SIMILAR, f"surname similar {sim:.2f}"
    if sim >= 0.85:
        return W_LAST_CLOSE, f"surname close {sim:.2f}"
    return W_LAST_DIFFERENT, "different surnames"


def _middle_level(x: NamePart, y: NamePart) -> tuple[float, str]:
    if not x.skel or not y.skel:
        return 0.0, ""
    if x.initial or y.initial:
        if x.skel[0] == y.skel[0]:
            return W_MIDDLE_INITIAL, "patronymic initial agrees"
        return W_MIDDLE_DIFFERENT, "different patronymic initial"
    if x.skel == y.skel:
        return W_MIDDLE_EQUAL, "patronymic equal"
    if _similarity(x, y) >= 0.9:
        return W_MIDDLE_SIMILAR, "patronymic similar"
    return W_MIDDLE_DIFFERENT, "different patronymics"


def _translit_note(x: NamePart, y: NamePart) -> str:
    if x.cyrillic != y.cyrillic or (x.raw != y.raw and x.raw.replace("ё", "е") != y.raw.replace("ё", "е")):
        return " after transliteration" if x.cyrillic != y.cyrillic else " after spelling normalisation"
    return ""


def _names(a: Features, b: Features, reasons: list[str]) -> float:
    straight = [_first_level(a.first, a.first_forms, b.first, b.first_forms), _last_level(a.last, b.last)]
    total = straight[0][0] + straight[1][0]
    chosen = straight
    swapped_used = False
    # ФИО in another order, or a mis-split: try the given name against the surname and back.
    if (a.first.skel and b.last.skel) or (a.last.skel and b.first.skel):
        a_last_forms = first_name_forms(a.last.skel) if a.last.skel and not a.last.initial else frozenset()
        b_last_forms = first_name_forms(b.last.skel) if b.last.skel and not b.last.initial else frozenset()
        swapped = [
            _first_level(a.first, a.first_forms, b.last, b_last_forms),
            _first_level(a.last, a_last_forms, b.first, b.first_forms),
        ]
        # A lone name on one side may be either part of the other's full name.
        swapped_total = swapped[0][0] + swapped[1][0] + W_SWAPPED
        if swapped_total > total + 0.5 and any(level[0] > 0 for level in swapped):
            chosen, total, swapped_used = swapped, swapped_total, True
    total += (middle := _middle_level(a.middle, b.middle))[0]
    for _weight, reason in [*chosen, middle]:
        # Swapped, both parts are compared as given names: "first name equal" twice said nothing more than once
        # ("first name equal, first name equal, name parts in another order" on the card's requests).
        if reason and reason not in reasons:
            reasons.append(reason)
    if swapped_used:
        reasons.append("name parts in another order")
    return total


# ---------------------------------------------------------------------------------------------
# Birth date, address, postcode, city, company
# ---------------------------------------------------------------------------------------------


def _birth_similar(x: str, y: str) -> bool:
    if OSA.distance(x, y) <= 1:
        return True
    # Day and month swapped (US vs European order).
    return x[:4] == y[:4] and x[5:7] == y[8:10] and x[8:10] == y[5:7]


def _other_fields(a: Features, b: Features, reasons: list[str]) -> float:
    weight = 0.0
    if a.birth_date and b.birth_date:
        if a.birth_date == b.birth_date:
            weight += W_BIRTH_EQUAL
            reasons.append("birth date equal")
        elif _birth_similar(a.birth_date, b.birth_date):
            weight += W_BIRTH_SIMILAR
            reasons.append("birth date similar (one digit or day/month order)")
        else:
            weight += W_BIRTH_DIFFERENT
            reasons.append("different birth dates")
    if a.address and b.address:
        sim = token_sort_ratio(a.address, b.address) / 100.0
        if sim >= 0.95:
            weight += W_ADDRESS_EQUAL
            reasons.append("address equal")
        elif sim >= 0.8:
            weight += W_ADDRESS_SIMILAR
            reasons.append(f"address similar {sim:.2f}")
        elif sim < 0.6:
            weight += W_ADDRESS_DIFFERENT
            reasons.append("different addresses")
    if a.postcode and b.postcode:
        if a.postcode == b.postcode:
            weight += W_POSTCODE_EQUAL
            reasons.append("postcode equal")
        elif len(a.postcode) >= 4 and OSA.distance(a.postcode, b.postcode) <= 1:
            weight += W_POSTCODE_SIMILAR
            reasons.append("postcode similar (one digit)")
        else:
            weight += W_POSTCODE_DIFFERENT
            reasons.append("different postcodes")
    if a.city and b.city:
        if a.city == b.city or JaroWinkler.normalized_similarity(a.city, b.city) >= 0.92:
            weight += W_CITY_EQUAL
            reasons.append("same city")
        else:
            weight += W_CITY_DIFFERENT
            reasons.append("different cities")
    if (a.company and b.company) or (a.inn and b.inn and len(a.inn) == 10 and len(b.inn) == 10):
        same_inn = bool(a.inn and a.inn == b.inn and len(a.inn) == 10)
        other_inn = bool(a.inn and b.inn and a.inn != b.inn and len(a.inn) == 10 and len(b.inn) == 10)
        if same_inn or (
            not other_inn
            and a.company
            and b.company
            and (a.company == b.company or token_sort_ratio(a.company, b.company) >= 92)
        ):
            weight += W_COMPANY_EQUAL
            reasons.append("same company (INN equal)" if same_inn else "same company")
        else:
            weight += W_COMPANY_DIFFERENT
            reasons.append("different companies")
    return weight
