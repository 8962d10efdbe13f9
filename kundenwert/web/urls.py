"""URLs of the web interface (mounted at the site root)."""

from django.urls import path

from . import views
from .entities import ENTITIES

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task-complete"),
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", views.SignOutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
]
for _entity in ENTITIES:
    urlpatterns += _entity.urls()
