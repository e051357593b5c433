from django.urls import path

from leadflow.nurture import views

urlpatterns = [
    path("marketing/segments/", views.segment_list, name="nurture_segments"),
    path("marketing/segments/new/", views.segment_edit, name="nurture_segment_new"),
    path("marketing/segments/<int:pk>/", views.segment_edit, name="nurture_segment"),
    path("marketing/templates/", views.template_list, name="nurture_templates"),
    path("marketing/templates/new/", views.template_edit, name="nurture_template_new"),
    path("marketing/templates/<int:pk>/", views.template_edit, name="nurture_template"),
    path("marketing/templates/<int:pk>/preview/", views.template_preview, name="nurture_template_preview"),
    path("marketing/sequences/", views.sequence_list, name="nurture_sequences"),
    path("marketing/sequences/new/", views.sequence_edit, name="nurture_sequence_new"),
    path("marketing/sequences/<int:pk>/", views.sequence_edit, name="nurture_sequence"),
    path("marketing/sequences/<int:pk>/toggle/", views.sequence_toggle, name="nurture_sequence_toggle"),
    path("marketing/enrollments/<int:pk>/stop/", views.enrollment_stop, name="nurture_enrollment_stop"),
    path("marketing/cards/lead/<int:pk>/", views.lead_panel, name="nurture_lead_panel"),
    path("marketing/cards/client/<int:pk>/", views.client_panel, name="nurture_client_panel"),
    # Public: reached from a message, authorised by the signed token in the URL.
    path("m/u/<str:token>/", views.unsubscribe, name="nurture_unsubscribe"),
    path("m/c/<str:token>/<int:index>/", views.click, name="nurture_click"),
    path("m/o/<str:token>.gif", views.opened, name="nurture_open"),
    path("m/s/<str:token>/", views.survey, name="nurture_survey"),
]
