from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from leadflow.accounts import views as account_views
from leadflow.api import api
from leadflow.clients import views as client_views
from leadflow.imports import views as import_views
from leadflow.leads import views as lead_views
from leadflow.partners import views as partner_views

urlpatterns = [
    path("", lead_views.home, name="home"),
    # Browsers ask for /favicon.ico on every first page (the admin's too); the icon is a static file.
    path("favicon.ico", RedirectView.as_view(url=static("leadflow/favicon.svg"), permanent=True)),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password_reset/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path("account/", include("django.contrib.auth.urls")),
    path("preferences/", account_views.preferences, name="preferences"),
    path("language/", account_views.set_language, name="set_language"),
    path("pool/", lead_views.pool, name="pool"),
    path("leads/", lead_views.lead_list, name="lead_list"),
    path("leads/<int:pk>/", lead_views.lead_card, name="lead_card"),
    path("leads/<int:pk>/compare/", lead_views.compare, name="lead_compare"),
    path("leads/<int:pk>/<slug:name>/", lead_views.lead_action, name="lead_action"),
    path("board/", lead_views.board, name="board"),
    path("tasks/", lead_views.my_tasks, name="my_tasks"),
    path("tasks/<int:pk>/complete/", lead_views.complete_task, name="complete_task"),
    path("interests/", lead_views.interests, name="interests"),
    path("interests/<int:pk>/promote/", lead_views.promote_interest, name="promote_interest"),
    path("team/", lead_views.team, name="team"),
    path("team/assign/", lead_views.bulk_assign, name="bulk_assign"),
    path("team/<int:pk>/routing/", lead_views.team_routing, name="team_routing"),
    path("team/<int:pk>/routing/rules/new/", lead_views.team_rule_new, name="team_rule_new"),
    path("team/<int:pk>/routing/rules/<int:rule_pk>/", lead_views.team_rule, name="team_rule"),
    path("team/<int:pk>/routing/rules/<int:rule_pk>/delete/", lead_views.team_rule_delete, name="team_rule_delete"),
    path("team/<int:pk>/routing/rules/<int:rule_pk>/move/", lead_views.team_rule_move, name="team_rule_move"),
    path("notifications/", lead_views.notifications, name="notifications"),
    path("notifications/read/", lead_views.read_notifications, name="read_notifications"),
    path("clients/", client_views.client_list, name="client_list"),
    path("clients/<int:pk>/", client_views.client_card, name="client_card"),
    path("clients/<int:pk>/contacts/<int:contact_pk>/accept-email/", client_views.accept_contact_email,
         name="client_contact_accept_email"),
    path("clients/<int:pk>/contacts/<int:contact_pk>/email-is-right/", client_views.check_contact_email,
         name="client_contact_check_email"),
    path("clients/<int:pk>/contacts/<int:contact_pk>/add/", client_views.add_contact, name="client_add_contact"),
    path("clients/<int:pk>/activity/", client_views.client_activity, name="client_activity"),
    path("clients/<int:pk>/task/", client_views.client_task, name="client_task"),
    path("clients/<int:pk>/assign/", client_views.client_assign, name="client_assign"),
    path("clients/<int:pk>/edit/", client_views.client_edit, name="client_edit"),
    path("partners/", partner_views.report, name="partner_report"),
    path("partners/mark-paid/", partner_views.mark_paid, name="partner_mark_paid"),
    path("analytics/", include("leadflow.analytics.urls")),
    path("calls/", include("leadflow.telephony.urls")),
    path("leads/export.csv", import_views.lead_export, {"file_format": "csv"}, name="lead_export_csv"),
    path("leads/export.xlsx", import_views.lead_export, {"file_format": "xlsx"}, name="lead_export_xlsx"),
    path("imports/", import_views.import_list, name="import_list"),
    path("imports/<int:pk>/", import_views.import_job, name="import_job"),
    path("imports/<int:pk>/run/", import_views.import_run, name="import_run"),
    path("imports/<int:pk>/progress/", import_views.import_progress, name="import_progress"),
    path("imports/<int:pk>/errors.csv", import_views.import_error_file, name="import_error_file"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("f/", include("leadflow.intake.urls")),
    path("scoring/", include("leadflow.scoring.urls")),
    path("privacy/", include("leadflow.privacy.urls")),
    path("", include("leadflow.nurture.urls")),
    path("", include("leadflow.warming.urls")),
]
