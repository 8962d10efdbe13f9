from django.urls import include, path

from kundenwert.api.urls import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("kundenwert.web.urls")),
]

handler400 = "kundenwert.web.views.bad_request"
handler403 = "kundenwert.web.views.forbidden"
handler404 = "kundenwert.web.views.not_found"
handler500 = "kundenwert.web.views.server_error"
