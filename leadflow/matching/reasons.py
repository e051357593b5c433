"""The reasons matching gives for a score, in the reader's language.

compare.py builds its reasons in English, and they stay English where they are kept and compared (the API's
`reasons`, a request's "matched by", the code's own checks). Shown to a person they are translated phrase by
phrase: a reason is one phrase, or phrases joined with a number ("address similar 0.87", "surname equal after
transliteration", "e-mail equal after provider alias, dots in the name").
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.utils.translation import get_language, gettext, gettext_noop

PHRASES = (
    gettext_noop("same role mailbox (info@, sales@: a company's, may be shared)"),
    gettext_noop("same mailbox name at another provider"),
    gettext_noop("different e-mails"),
    gettext_noop("same company e-mail domain (not the same person by itself)"),
    gettext_noop("personal INN equal"),
    gettext_noop("different personal INN"),
    gettext_noop("e-mail equal after normalisation"),
    gettext_noop("e-mail equal after"),
    gettext_noop("e-mail equal"),
    gettext_noop("provider alias"),
    gettext_noop("+tag"),
    gettext_noop("dots in the name"),
    gettext_noop("phone equal (landline, may be shared)"),
    gettext_noop("phone equal"),
    gettext_noop("same office line and extension"),
    gettext_noop("same office line (one without extension)"),
    gettext_noop("different extension on the same office line"),
    gettext_noop("phones one digit apart (a typo?)"),
    gettext_noop("different phones"),
    gettext_noop("first initial agrees"),
    gettext_noop("different first initial"),
    gettext_noop("first name equal after diminutive"),
    gettext_noop("first name equal"),
    gettext_noop("first name similar"),
    gettext_noop("first name close"),
    gettext_noop("different first names"),
    gettext_noop("surname initial agrees"),
    gettext_noop("different surnames"),
    gettext_noop("surname equal"),
    gettext_noop("surname in the other gender form"),
    gettext_noop("surname similar"),
    gettext_noop("surname close"),
    gettext_noop("patronymic initial agrees"),
    gettext_noop("different patronymic initial"),
    gettext_noop("patronymic equal"),
    gettext_noop("patronymic similar"),
    gettext_noop("different patronymics"),
    gettext_noop("after transliteration"),
    gettext_noop("after spelling normalisation"),
    gettext_noop("name parts in another order"),
    gettext_noop("birth date equal"),
    gettext_noop("birth date similar (one digit or day/month order)"),
    gettext_noop("different birth dates"),
    gettext_noop("address equal"),
    gettext_noop("address similar"),
    gettext_noop("different addresses"),
    gettext_noop("postcode equal"),
    gettext_noop("postcode similar (one digit)"),
    gettext_noop("different postcodes"),
    gettext_noop("same city"),
    gettext_noop("different cities"),
    gettext_noop("same company (INN equal)"),
    gettext_noop("same company, different person"),
    gettext_noop("same company"),
    gettext_noop("different companies"),
)
# Longest first, so "phone equal (landline, may be shared)" is one phrase, not "phone equal" and leftovers.
PATTERN = re.compile("|".join(re.escape(phrase) for phrase in sorted(PHRASES, key=len, reverse=True)))


@lru_cache(maxsize=4096)
def _shown(text: str, language: str) -> str:
    return PATTERN.sub(lambda found: gettext(found.group(0)), text)


def shown(text: str) -> str:
    """The reasons (one, or several joined by ", ", possibly after a score "0.97: ") in the active language."""
    return _shown(text, get_language() or "") if text else text
