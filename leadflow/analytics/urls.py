from django.urls import path

from leadflow.analytics import views
from leadflow.marketing import views as marketing_views

urlpatterns = [
    path("", views.dashboard, name="analytics"),
    path("costs/spend/", marketing_views.upload_spend, name="upload_spend"),
    path("<slug:key>/", views.report_page, name="analytics_report"),
    path("<slug:key>/export.<slug:fmt>", views.export, name="analytics_export"),
]
