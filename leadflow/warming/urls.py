from django.conf import settings
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from leadflow.warming import tracking, views

urlpatterns = [
    path("t.js", tracking.script, name="tracking_script"),
    path("t/<str:key>/events", tracking.events, name="tracking_events"),
    path("marketing/", views.marketing, name="marketing"),
]

if settings.LEADFLOW_BENCHMARK_ENDPOINTS:
    urlpatterns.append(path("t/bench/insert", csrf_exempt(tracking.bench_insert)))
