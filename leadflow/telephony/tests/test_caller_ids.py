"""Caller ids as PBXs and providers send them: what number (if any) a sales manager calls back."""

import json

import pytest

from leadflow.leads.models import Activity, Interest
from leadflow.telephony.numbers import is_hidden, normalize_number

from .conftest import GENERIC_SECRET, http


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+7 912 345 6789", ("+79123456789", "")),
        ("79123456789", ("+79123456789", "")),
        ("89123456789", ("+79123456789", "")),
        ("9123456789", ("+79123456789", "")),
        ("8 (912) 345-67-89", ("+79123456789", "")),
        ("380441234567", ("+380441234567", "")),
        ("447911123456", ("+447911123456", "")),
        ("79123456789.0", ("+79123456789", "")),  # a CRM that stored the number as a float
        # SIP and tel URIs as Asterisk, FreeSWITCH and SIP trunks put them in the From header
        ("<sip:79123456789@10.0.0.1>", ("+79123456789", "")),
        ("sip:89123456789@pbx.example.ru", ("+79123456789", "")),
        ("sip:+79123456789@pbx.example.ru", ("+79123456789", "")),
        ("tel:+74951234567;ext=12", ("+74951234567", "12")),
        ("+74951234567;ext=12", ("+74951234567", "12")),
        # an internal extension or a service code is nobody's phone
        ("101", None),
        ("sip:101@pbx.local", None),
    ],
)
def test_a_caller_id_reads_as_the_number_to_call_back(raw, expected):
    phone = normalize_number(raw)
    assert (None if phone is None else (phone.e164, phone.extension)) == expected


@pytest.mark.parametrize(
    "raw",
    ["anonymous", "Anonymous", "ANONYMOUS", "unknown", "Private", "Private Number", "Withheld", "Restricted",
     "Unavailable", "Not Available", "Blocked", "CLI withheld", "<sip:anonymous@anonymous.invalid>",
     "sip:Anonymous@anonymous.invalid", "Номер скрыт", "скрытый номер", "Неизвестный", "", "  "],
)
def test_a_withheld_number_is_hidden(raw):
    assert is_hidden(raw) and normalize_number(raw) is None


@pytest.mark.parametrize("raw", ["+79123456789", "sip:79123456789@pbx", "101", "Иван"])
def test_a_number_or_a_name_is_not_hidden(raw):
    assert not is_hidden(raw)


def _post(url: str, body: dict) -> object:
    return http(url, data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {GENERIC_SECRET}"})


@pytest.mark.usefixtures("stages")
def test_a_sip_caller_finds_the_lead_it_belongs_to(generic_pbx, events_url, make_lead, alice):
    lead = make_lead(owner=alice, phone="+79161230000")
    answer = _post(events_url(generic_pbx), {"event": "finished", "call_id": "sip-1",
                                             "caller": "<sip:79161230000@192.168.1.10>", "duration": 42})
    assert answer.status == 200
    assert Activity.objects.filter(lead=lead, kind="call").count() == 1
    assert not Interest.objects.exists()


@pytest.mark.usefixtures("stages")
def test_a_withheld_caller_is_an_interest_from_a_hidden_number(generic_pbx, events_url):
    answer = _post(events_url(generic_pbx), {"event": "finished", "call_id": "hidden-1", "caller": "Номер скрыт",
                                             "duration": 30})
    assert answer.status == 200
    assert Interest.objects.get().phone == ""
    assert "Call from a hidden number" in Interest.objects.get().message
