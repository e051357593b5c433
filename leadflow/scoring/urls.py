from django.urls import path

from leadflow.scoring import views

urlpatterns = [
    path("", views.model_page, name="scoring_model"),
    path("retrain/", views.retrain, name="scoring_retrain"),
]
