"""Log in, and each user's own settings: language and time zone."""

import hashlib
import math
import zoneinfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from leadflow.accounts.models import User
from leadflow.intake.webform_rules import client_ip, count_hits

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


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset form, with its mails counted: a few per address typed and some more per sender's address in
    each window (the public forms' counters), so the form cannot be used to flood someone's mailbox. Over the
    limit the sender is told to wait; the answer is the same whether the address has an account or not."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        typed = hashlib.sha256(form.cleaned_data["email"].strip().lower().encode()).hexdigest()[:40]
        wait = count_hits({f"reset-mail:{typed}": settings.LEADFLOW_PASSWORD_RESET_PER_EMAIL,
                           f"reset-ip:{client_ip(self.request)}": settings.LEADFLOW_PASSWORD_RESET_PER_IP})
        if wait:
            minutes = max(1, math.ceil(wait / 60))
            form.add_error("email", ngettext("Too many reset requests. Try again in %(minutes)d minute.",
                                             "Too many reset requests. Try again in %(minutes)d minutes.",
                                             minutes) % {"minutes": minutes})
            response = self.form_invalid(form)
            response.status_code = 429
            response["Retry-After"] = str(wait)
            return response
        return super().form_valid(form)
