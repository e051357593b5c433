"""Who may read the API's documentation: LEADFLOW_API_DOCS = public (default), signed-in or off."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.test import Client as HttpClient
from django.test import override_settings

pytestmark = pytest.mark.django_db

DOCS = ("/api/docs", "/api/openapi.json")


def test_public_by_default_so_a_partner_reads_it_without_an_account():
    anonymous = HttpClient()
    assert anonymous.get("/api/docs").status_code == 200
    schema = anonymous.get("/api/openapi.json")
    assert schema.status_code == 200 and "/api/submissions" in schema.json()["paths"]


@override_settings(LEADFLOW_API_DOCS="signed-in")
def test_signed_in_asks_who_is_reading(alice, api_as, partner):
    anonymous = HttpClient()
    page = anonymous.get("/api/docs")
    assert page.status_code == 302 and page["Location"].startswith("/login/?next=/api/docs")
    schema = anonymous.get("/api/openapi.json")
    assert schema.status_code == 401 and schema.json()["error"]["code"] == "unauthorized"
    assert HttpClient(headers={"Authorization": "Bearer lfu_not-a-token"}).get("/api/openapi.json").status_code == 401
    assert HttpClient(headers={"X-Api-Key": "lfp_not-a-key"}).get("/api/openapi.json").status_code == 401

    session = HttpClient()
    session.force_login(alice)
    by_token = api_as(alice)
    by_partner_key = HttpClient(headers={"X-Api-Key": partner[1]})
    for reader in (session, by_token, by_partner_key):
        for url in DOCS:
            assert reader.get(url).status_code == 200, url


@override_settings(LEADFLOW_API_DOCS="signed-in")
def test_signed_in_refuses_a_switched_off_user(alice, api_as):
    client = api_as(alice)
    alice.is_active = False
    alice.save()
    assert client.get("/api/openapi.json").status_code == 401


@override_settings(LEADFLOW_API_DOCS="off")
def test_off_answers_not_found_to_everyone(admin_user):
    admin = HttpClient()
    admin.force_login(admin_user)
    for url in DOCS:
        assert admin.get(url).status_code == 404, url


def test_a_mistyped_value_stops_the_start_naming_the_setting(tmp_path):
    env = {"LEADFLOW_API_DOCS": "private", "LEADFLOW_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", "import django, os; os.environ['DJANGO_SETTINGS_MODULE']="
                             "'leadflow.settings'; django.setup()"], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "LEADFLOW_API_DOCS='private': give public, signed-in or off." in result.stderr


def test_every_operation_documents_the_error_it_answers_with(web_form):
    """A client generated from the document reads errors as they come: every operation has the `Error` body as
    its default response, and a real refusal has exactly that shape."""
    document = HttpClient().get("/api/openapi.json").json()
    error = document["components"]["schemas"]["Error"]
    operations = [op for path in document["paths"].values() for op in path.values() if isinstance(op, dict)]
    assert len(operations) > 20
    for operation in operations:
        assert operation["responses"]["default"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"}, operation["operationId"]

    refused = HttpClient().post("/api/submissions", data="{\"phone\": \"not a phone\", \"email\": 5}",
                                content_type="application/json", headers={"X-Form-Key": web_form.public_key})
    assert refused.status_code == 422
    body = refused.json()
    assert set(error["required"]) <= set(body)
    shape = error["properties"]["error"]
    assert set(shape["required"]) == set(body["error"]) - {"submission_id"}
    assert all(isinstance(messages, list) for messages in body["error"]["fields"].values())


def _schema_classes(base: type) -> list[type]:
    found = []
    for cls in base.__subclasses__():
        found.append(cls)
        found.extend(_schema_classes(cls))
    return found


def test_each_documented_schema_is_the_one_the_endpoint_reads():
    """Two schemas of one name would share one entry of the documentation (the last read wins), so a partner
    would be shown fields an endpoint ignores, and the body checks built from the documentation would test the
    wrong fields."""
    from ninja import Schema

    documented = HttpClient().get("/api/openapi.json").json()["components"]["schemas"]
    by_name: dict[str, list[type]] = {}
    for cls in _schema_classes(Schema):
        if cls.__module__.startswith("leadflow.") and cls.__name__ in documented:
            by_name.setdefault(cls.__name__, []).append(cls)
    assert len(by_name) >= 20
    for name, classes in by_name.items():
        assert len(set(classes)) == 1, f"{name}: {[c.__module__ for c in classes]}"
        fields = {name for key, field in classes[0].model_fields.items() for name in (key, field.alias) if name}
        assert set(documented[name].get("properties", {})) <= fields, name
