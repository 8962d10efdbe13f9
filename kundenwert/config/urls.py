from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import TemplateView

from kundenwert.api.urls import api

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
