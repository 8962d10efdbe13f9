"""URLs of the web interface (mounted at the site root)."""

from django.urls import path

from . import accounts, catalog, deals, leads, password_reset, tasks, views
from .bulk import BulkView
from .entities import ENTITIES
from .export import ExportView

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task-complete"),
    path("tasks/", tasks.task_list, name="task-list"),
    path("tasks/<int:pk>/reschedule/", tasks.task_reschedule, name="task-reschedule"),
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", views.SignOutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/settings/", accounts.account_settings, name="account-settings"),
    path(
        "accounts/password/reset/",
        password_reset.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/done/",
        password_reset.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        password_reset.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        password_reset.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/language/", accounts.language_switch, name="language-switch"),
]
for _entity in ENTITIES:
    urlpatterns += _entity.urls()
    urlpatterns += [
        path(
            f"{_entity.path}/export.csv",
            ExportView.as_view(config=_entity),
            name=_entity.url_name("export"),
        ),
        path(
            f"{_entity.path}/bulk/", BulkView.as_view(config=_entity), name=_entity.url_name("bulk")
        ),
    ]
urlpatterns += catalog.urlpatterns
urlpatterns += deals.urlpatterns
urlpatterns += leads.urlpatterns
