"""An action in Django's admin changes things (issues a partner's key, replays a submission, sends a webhook again):
it is offered, and run, only for someone who may change the rows, never for a colleague given view rights alone
(permissions given in the admin count on top of the role's: accounts.permissions)."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


def viewer_of(django_user_model, model):  # type: ignore[no-untyped-def]
    """A staff member with no rights of their role given only `model`'s view right."""
    user = django_user_model.objects.create_user(username=f"viewer-{model._meta.model_name}", password="pw",
                                                 role="manager", is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label=model._meta.app_label,
                                                     codename=f"view_{model._meta.model_name}"))
    return django_user_model.objects.get(pk=user.pk)  # a fresh object: no permission cache


def test_no_admin_action_is_offered_to_a_viewer(django_user_model):
    offered = {}
    for model, model_admin in admin.site._registry.items():
        if not type(model_admin).__module__.startswith("leadflow."):
            continue  # other packages' admins (django-axes' clean-up of its own log) are theirs
        request = RequestFactory().get("/admin/")
        request.user = viewer_of(django_user_model, model)
        actions = model_admin.get_actions(request)
        if actions:
            offered[model._meta.label] = sorted(actions)
    assert offered == {}


def test_an_administrator_still_has_the_actions(admin_user):
    from leadflow.intake.models import Partner, Submission
    from leadflow.scoring.models import ScoringModel

    request = RequestFactory().get("/admin/")
    request.user = admin_user
    assert "issue_key" in admin.site._registry[Partner].get_actions(request)
    assert "replay" in admin.site._registry[Submission].get_actions(request)
    assert "retrain_now" in admin.site._registry[ScoringModel].get_actions(request)


def test_a_viewer_cannot_issue_a_partners_key(client, django_user_model, partner):
    from leadflow.intake.models import Partner

    row, key = partner
    before = Partner.objects.get(pk=row.pk).key_hash
    client.force_login(viewer_of(django_user_model, Partner))
    assert client.get("/admin/intake/partner/").status_code == 200  # they may look
    response = client.post("/admin/intake/partner/", {"action": "issue_key", "_selected_action": [row.pk]},
                           follow=True)
    assert Partner.objects.get(pk=row.pk).key_hash == before
    assert "New API keys" not in response.content.decode()
    from leadflow.accounts.auth import partner_from_key

    assert partner_from_key(key) == row  # the partner's key still works
