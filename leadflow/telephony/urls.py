from django.urls import path

from leadflow.telephony import views

urlpatterns = [path("", views.call_list, name="call_list")]
