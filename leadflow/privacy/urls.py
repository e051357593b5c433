from django.urls import path

from leadflow.privacy import views

urlpatterns = [
    path("export/", views.export, name="privacy_export"),
    path("withdraw/", views.withdraw, name="privacy_withdraw"),
    path("erase/", views.erase, name="privacy_erase"),
]
