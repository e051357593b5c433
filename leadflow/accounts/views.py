"""Log in, and each user's own settings: language and time zone."""

import zoneinfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leadflow.accounts.models import User

ZONES = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


class PreferencesForm(forms.ModelForm):
    language = forms.ChoiceField(label=gettext_lazy("Language"),
                                 choices=[("", gettext_lazy("As the browser says")), ("en", "English"),
                                          ("ru", "Русский")], required=False)
    time_zone = forms.ChoiceField(label=gettext_lazy("Time zone"), required=False,
                                  choices=[("", gettext_lazy("The team's"))] + [(z, z) for z in ZONES])

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "language", "time_zone"]


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        if user.language:
            translation.activate(user.language)
        messages.success(request, _("Saved."))
        response = redirect("preferences")
        from django.conf import settings

        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language or "", samesite="Lax",
                            secure=settings.LANGUAGE_COOKIE_SECURE)
        return response
    return render(request, "accounts/preferences.html", {"form": form})


def set_language(request: HttpRequest) -> HttpResponse:
    """The header's language switch: saved on the user, so it follows them to any browser."""
    from django.conf import settings
    from django.utils.http import url_has_allowed_host_and_scheme

    language = request.POST.get("language", "")
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = redirect(target)
    if request.method == "POST" and language in dict(settings.LANGUAGES):
        if request.user.is_authenticated:
            User.objects.filter(pk=request.user.pk).update(language=language)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax",
                            secure=settings.LANGUAGE_COOKIE_SECURE)
    return response
