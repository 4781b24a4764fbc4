"""The OpenAPI document's page (GET /api/schema/), built once per process."""

from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request
from rest_framework.response import Response


class PublicSchemaView(SpectacularAPIView):
    """GET /api/schema/: the OpenAPI document, built once per process for each API version and language.

    It is the same for everyone (SERVE_PUBLIC: not filtered by the caller's permissions) and changes only with the code
    or the settings it is built from (a change of one drops the documents built: `_forget_documents`); drf-spectacular's
    own view builds it again on every request, a second and a half of one core each time."""

    def _get_schema_response(self, request: Request) -> Response:
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (version, translation.get_language())
        document = _DOCUMENTS.get(key)
        if document is None:
            generator = self.generator_class(urlconf=self.urlconf, api_version=version, patterns=self.patterns)
            document = _DOCUMENTS[key] = generator.get_schema(request=request, public=self.serve_public)
        return Response(
            data=document,
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'},
        )


_DOCUMENTS: dict[tuple[str | None, str | None], dict[str, Any]] = {}


# What the document is built from: the URLs and apps, DRF's and drf-spectacular's settings, the language.
SCHEMA_SETTINGS = {
    "ROOT_URLCONF",
    "INSTALLED_APPS",
    "REST_FRAMEWORK",
    "SPECTACULAR_SETTINGS",
    "LANGUAGE_CODE",
    "LANGUAGES",
    "USE_I18N",
}


@receiver(setting_changed)
def _forget_documents(*, setting: str, **kwargs: Any) -> None:
    if setting in SCHEMA_SETTINGS:
        _DOCUMENTS.clear()
