"""Ready-made templates, sequences and the greeting calendar, installed switched off (migration 0002).

They are off so that an upgrade never mails anyone: a marketer reads the templates, adjusts them, and
switches each sequence on from its page. Templates come in both languages (each lead is mailed in its
own); a sequence's name, description and task titles are what managers read, so they are installed in
the site's language (LEADFLOW_LANGUAGE), and edited as any other text from then on.
"""

from __future__ import annotations

from typing import Any

HOLIDAYS = [
    (1, 1, "Новый год"), (23, 2, "День защитника Отечества"), (8, 3, "Международный женский день"),
    (1, 5, "Праздник Весны и Труда"), (9, 5, "День Победы"), (12, 6, "День России"),
    (4, 11, "День народного единства"),
]

TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    # name: {language: (subject, html body)}; the text part is made from the HTML.
    "Abandoned cart": {
        "ru": ("{{ first_name }}, вы кое-что оставили в корзине",
               "<p>Здравствуйте, {{ first_name }}!</p><p>В вашей корзине остался товар{% if product %} "
               "«{{ product }}»{% endif %}. Он ещё ждёт вас — оформить заказ можно в любой момент.</p>"
               "<p>Если остались вопросы, просто ответьте на это письмо.{% if manager %} Ваш менеджер — "
               "{{ manager }}.{% endif %}</p>"),
        "en": ("{{ first_name }}, you left something in your cart",
               "<p>Hello {{ first_name }},</p><p>Your cart still holds{% if product %} {{ product }}{% else %} "
               "your selection{% endif %}. You can complete the order at any time.</p>"
               "<p>Questions? Just reply to this e-mail."
               "{% if manager %} Your manager is {{ manager }}.{% endif %}</p>"),
    },
    "Browsing discount": {
        "ru": ("{{ first_name }}, скидка для вас",
               "<p>Здравствуйте, {{ first_name }}!</p><p>Мы заметили, что вы присматриваетесь"
               "{% if product %} к «{{ product }}»{% endif %}. Вот персональная скидка: "
               "<strong>{{ discount_code }}</strong>.</p>"),
        "en": ("{{ first_name }}, a discount for you",
               "<p>Hello {{ first_name }},</p><p>We noticed you were looking{% if product %} at {{ product }}"
               "{% endif %}. Here is a personal discount code: <strong>{{ discount_code }}</strong>.</p>"),
    },
    "Farewell": {
        "ru": ("Жаль, что не сложилось",
               "<p>Здравствуйте, {{ first_name }}!</p><p>Жаль, что в этот раз мы не смогли вам помочь. Расскажите, "
               "пожалуйста, почему — это две минуты: <a href=\"{{ survey_url }}\">короткий опрос</a>.</p>"
               "<p>Если что-то изменится, мы всегда рады вам.</p>"),
        "en": ("Sorry it did not work out",
               "<p>Hello {{ first_name }},</p><p>We are sorry we could not help this time. Would you tell us why? "
               "It takes two minutes: <a href=\"{{ survey_url }}\">a short survey</a>.</p>"
               "<p>If anything changes, we are always glad to hear from you.</p>"),
    },
    "Holiday greeting": {
        "ru": ("{{ first_name }}, поздравляем: {{ holiday }}",
               "<p>Здравствуйте, {{ first_name }}!</p><p>Поздравляем вас: {{ holiday }}! Желаем радости и "
               "успехов.</p>{% if manager %}<p>{{ manager }}</p>{% endif %}"),
        "en": ("{{ first_name }}, season's greetings: {{ holiday }}",
               "<p>Hello {{ first_name }},</p><p>Warm wishes for {{ holiday }}!</p>"
               "{% if manager %}<p>{{ manager }}</p>{% endif %}"),
    },
    "Up-sell": {
        "ru": ("{{ first_name }}, что ещё пригодится",
               "<p>Здравствуйте, {{ first_name }}!</p><p>Спасибо, что вы с нами. К тому, что вы уже выбрали, "
               "часто берут{% if product %} «{{ product }}»{% else %} дополнительные товары{% endif %}."
               "{% if discount_code %} Для вас — код <strong>{{ discount_code }}</strong>.{% endif %}</p>"),
        "en": ("{{ first_name }}, something that goes with it",
               "<p>Hello {{ first_name }},</p><p>Thank you for being with us. Customers who chose what you did "
               "often add{% if product %} {{ product }}{% else %} a few extras{% endif %}."
               "{% if discount_code %} Your code: <strong>{{ discount_code }}</strong>.{% endif %}</p>"),
    },
}

DAY = 24 * 60

SEQUENCES: list[dict[str, Any]] = [
    {"key": "abandoned-cart", "name": "Abandoned cart reminder", "trigger": "behaviour", "event_kind": "cart_abandoned",
     "reentry": "after_days", "reentry_days": 7,
     "description": "An hour after a cart is abandoned: a reminder; two days later, a call task for the owner.",
     "steps": [{"kind": "wait", "wait_minutes": 60}, {"kind": "send", "template_name": "Abandoned cart"},
               {"kind": "wait", "wait_minutes": 2 * DAY},
               {"kind": "task", "task_title": "Call about the abandoned cart: {{ name }}", "task_due_hours": 4}]},
    {"key": "browsing-discount", "name": "Discount after long browsing", "trigger": "browsing",
     "browsing_minutes": 10, "browsing_days": 7, "reentry": "once",
     "description": "Page views totalling 10 minutes within 7 days and no purchase: a personal discount code.",
     "steps": [{"kind": "send", "template_name": "Browsing discount", "discount_prefix": "HELLO"},
               {"kind": "temperature", "temperature": "warm"}, {"kind": "tag", "tag": "discount sent"}]},
    {"key": "farewell", "name": "Farewell after a refusal", "trigger": "refused", "reentry": "once",
     "description": "A day after a refusal: regret and a two-minute survey; the answers show on the lead's card.",
     "steps": [{"kind": "wait", "wait_minutes": DAY}, {"kind": "send", "template_name": "Farewell"}]},
    {"key": "holiday-greetings", "name": "Holiday greetings for deferred leads", "trigger": "deferred",
     "reentry": "after_finish", "only_while_deferred": True,
     "description": "While a lead is deferred: a greeting on every holiday of the calendar (admin → Greeting dates).",
     "steps": [{"kind": "wait_holiday"}, {"kind": "send", "template_name": "Holiday greeting"},
               {"kind": "repeat", "repeat_from": 1}]},
    {"key": "call-again", "name": "Time to call again", "trigger": "deferral_ended", "reentry": "after_finish",
     "description": "When a deferral ends: the lead turns warm and its owner has the follow-up task (the one the "
                    "deferral set is reused, never doubled).",
     "steps": [{"kind": "temperature", "temperature": "warm"},
               {"kind": "task", "task_title": "Time to call again: {{ name }}", "task_due_hours": 0}]},
    {"key": "upsell", "name": "Up-sell / cross-sell to clients", "audience": "clients", "trigger": "converted",
     "reentry": "once",
     "description": "A month after the first purchase: what goes with it; two weeks later, a call task.",
     "steps": [{"kind": "wait", "wait_minutes": 30 * DAY}, {"kind": "send", "template_name": "Up-sell"},
               {"kind": "wait", "wait_minutes": 14 * DAY},
               {"kind": "task", "task_title": "Offer an add-on to {{ name }}", "task_due_hours": 24}]},
]


# The site-language versions of SEQUENCES' texts, by sequence key. Task titles by step position.
SEQUENCE_TEXTS: dict[str, dict[str, dict[str, Any]]] = {
    "ru": {
        "abandoned-cart": {
            "name": "Напоминание о брошенной корзине",
            "description": "Через час после брошенной корзины — напоминание; через два дня — задача владельцу "
                           "позвонить.",
            "tasks": {4: "Позвонить о брошенной корзине: {{ name }}"}},
        "browsing-discount": {
            "name": "Скидка после долгого просмотра",
            "description": "Просмотры страниц на 10 минут за 7 дней без покупки — персональный код скидки."},
        "farewell": {
            "name": "Прощание после отказа",
            "description": "Через день после отказа — сожаление и опрос на две минуты; ответы видны в карточке "
                           "лида."},
        "holiday-greetings": {
            "name": "Поздравления с праздниками для отложенных лидов",
            "description": "Пока лид отложен — поздравление с каждым праздником календаря (администрирование → "
                           "Даты поздравлений)."},
        "call-again": {
            "name": "Пора позвонить снова",
            "description": "Когда отсрочка заканчивается, лид становится тёплым, а у владельца есть задача "
                           "перезвонить (задача, поставленная при отсрочке, используется, а не дублируется).",
            "tasks": {2: "Пора позвонить снова: {{ name }}"}},
        "upsell": {
            "name": "Допродажа клиентам",
            "description": "Через месяц после первой покупки — что к ней подходит; через две недели — задача "
                           "позвонить.",
            "tasks": {4: "Предложить дополнение: {{ name }}"}},
    },
}


def sequence_spec(spec: dict[str, Any], language: str) -> dict[str, Any]:
    """SEQUENCES' entry with its texts in `language` (English when there is no version in it)."""
    texts = SEQUENCE_TEXTS.get(language, {}).get(spec["key"])
    spec = {**spec, "steps": [dict(step) for step in spec["steps"]]}
    if texts:
        spec["name"], spec["description"] = texts["name"], texts["description"]
        for position, title in texts.get("tasks", {}).items():
            spec["steps"][position - 1]["task_title"] = title
    return spec


def install(get_model: Any, language: str | None = None) -> None:
    """Create what is missing (by key or name); never overwrite what a marketer changed."""
    from django.conf import settings

    language = language or settings.LANGUAGE_CODE
    Holiday = get_model("nurture", "Holiday")
    MailTemplate = get_model("nurture", "MailTemplate")
    Sequence = get_model("nurture", "Sequence")
    Step = get_model("nurture", "Step")
    if not Holiday.objects.exists():
        for day, month, name in HOLIDAYS:
            Holiday.objects.create(day=day, month=month, name=name)
    for name, versions in TEMPLATES.items():
        for template_language, (subject, html) in versions.items():
            MailTemplate.objects.get_or_create(name=name, language=template_language,
                                               defaults={"subject": subject, "html_body": html,
                                                         "key": name.lower().replace(" ", "-")})
    for spec in SEQUENCES:
        spec = sequence_spec(spec, language)
        steps = spec.pop("steps")
        if Sequence.objects.filter(key=spec["key"]).exists() or Sequence.objects.filter(name=spec["name"]).exists():
            continue
        sequence = Sequence.objects.create(is_active=False, **spec)
        for position, step in enumerate(steps, start=1):
            Step.objects.create(sequence=sequence, position=position, **step)


def translate_untouched(get_model: Any, language: str | None = None) -> None:
    """Put the ready-made sequences installed in English into the site's language, those nobody changed."""
    from django.conf import settings

    language = language or settings.LANGUAGE_CODE
    if language not in SEQUENCE_TEXTS:
        return
    Sequence = get_model("nurture", "Sequence")
    Step = get_model("nurture", "Step")
    for original in SEQUENCES:
        sequence = Sequence.objects.filter(key=original["key"], name=original["name"],
                                           description=original["description"]).first()
        if sequence is None:
            continue
        steps = {step.position: step for step in Step.objects.filter(sequence=sequence)}
        if any(steps.get(position) is None or steps[position].task_title != step.get("task_title", "")
               for position, step in enumerate(original["steps"], start=1)):
            continue  # a marketer changed its steps: theirs now
        translated = sequence_spec(original, language)
        Sequence.objects.filter(pk=sequence.pk).update(name=translated["name"], description=translated["description"])
        for position, step in enumerate(translated["steps"], start=1):
            if step.get("task_title") and step["task_title"] != original["steps"][position - 1]["task_title"]:
                Step.objects.filter(pk=steps[position].pk).update(task_title=step["task_title"])
