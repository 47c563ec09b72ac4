"""URL routes of the library service."""
from django.urls import include, path

from library import views

urlpatterns = [
    path("healthz", views.healthz),
    path("whoami", views.whoami),
    path("", include("library.urls")),
]

handler404 = "library.views.not_found"
handler500 = "library.views.server_error"
