"""The saved views API's routes, mounted under /api/v1/ (docs/views.md)."""

from rest_framework.routers import SimpleRouter

from savedviews.api.views import SavedViewViewSet

router = SimpleRouter()
router.register("views", SavedViewViewSet, basename="saved-view")

urlpatterns = router.urls
