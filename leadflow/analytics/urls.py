from django.urls import path

from leadflow.analytics import views

urlpatterns = [
    path("", views.dashboard, name="analytics"),
    path("<slug:key>/", views.report_page, name="analytics_report"),
    path("<slug:key>/export.<slug:fmt>", views.export, name="analytics_export"),
]
