"""The OpenAPI document (GET /api/schema/), built once per process."""

from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator


class DocumentOncePerProcess(SchemaGenerator):
    """drf-spectacular's generator, whose document is built once per process for each API version and language.

    It is the same for everyone when public (SERVE_PUBLIC: not filtered by the caller's permissions) and changes only
    with the code or the settings it is built from (a change of one drops the documents built: `_forget_documents`);
    drf-spectacular builds it again on every request, a second and a half of one core each time."""

    def get_schema(self, request: Any = None, public: bool = False) -> dict[str, Any]:
        if not public:
            return super().get_schema(request=request, public=public)
        key = (self.api_version, translation.get_language())
        document = _DOCUMENTS.get(key)
        if document is None:
            document = _DOCUMENTS[key] = super().get_schema(request=request, public=public)
        return document


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
