"""Public web form addresses: /f/embed.js, /f/<slug> (hosted page), /f/<slug>/config and /submit (embed)."""

from django.urls import path

from leadflow.intake import webforms

urlpatterns = [
    path("embed.js", webforms.embed_script, name="webform_embed_script"),
    path("<slug:slug>", webforms.hosted_form, name="webform"),
    path("<slug:slug>/", webforms.hosted_form),
    path("<slug:slug>/config", webforms.form_config, name="webform_config"),
    path("<slug:slug>/submit", webforms.form_submit, name="webform_submit"),
]
