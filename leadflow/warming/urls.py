from django.urls import path

from leadflow.warming import tracking, views

urlpatterns = [
    path("t.js", tracking.script, name="tracking_script"),
    path("t/<str:key>/events", tracking.events, name="tracking_events"),
    path("marketing/", views.marketing, name="marketing"),
]
