"""The site's URL conf with the saved views API mounted under /api/v1/, for this app's API tests while ticketsite/urls.py
does not include savedviews.urls yet. Once it does, this module and the tests' `urls` marks go."""

from django.urls import include, path

from ticketsite.urls import urlpatterns as site_urlpatterns

urlpatterns = [path("api/v1/", include("savedviews.urls")), *site_urlpatterns]
