"""A site's notification e-mail asking the name of someone other than the visitor (names10): "Как зовут вашего
ребёнка?" is not the person's name; the visitor's own ("Как к вам обращаться?") is, wherever it stands."""

from __future__ import annotations

from leadflow.inbox.parsing import form_fields


def test_a_childs_name_in_a_notification_is_not_the_persons_name():
    body = ("Новая заявка с сайта\n"
            "Как зовут вашего ребёнка?: Маша\n"
            "Сколько лет ребёнку?: 7\n"
            "Как к вам обращаться?: Ольга Иванова\n"
            "Номер телефона для связи: +7 921 555-44-33\n")

    fields = form_fields(body, by_question=True)

    assert (fields["name"], fields["phone"]) == ("Ольга Иванова", "+7 921 555-44-33")


def test_a_notification_with_only_a_childs_name_gives_no_name():
    fields = form_fields("What is your child's name?\nMasha\nPhone: +7 921 555-44-33\n", by_question=True)

    assert "name" not in fields and fields["phone"] == "+7 921 555-44-33"
