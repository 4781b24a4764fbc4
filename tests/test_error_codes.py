"""Every code a business rule gives a 400 is documented in the OpenAPI schema (through DOMAIN_VALIDATION_CODES)."""

import ast
from pathlib import Path

import pytest

from ticketsite.errors import DOMAIN_VALIDATION_CODES

ROOT = Path(__file__).resolve().parent.parent
APPS = ["tickets", "approvals", "permissions", "notifications", "ticketsite"]
VALIDATION_ERRORS = {"DomainValidationError", "ValidationError"}


def validation_error_codes() -> dict[str, str]:
    """code -> where it is raised, for every `…ValidationError(…, code="…")` in the apps' own (non-test) code."""
    found: dict[str, str] = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name not in VALIDATION_ERRORS:
                    continue
                for keyword in node.keywords:
                    if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                        found[keyword.value.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_the_scan_finds_the_codes_services_use():
    assert {"unique", "user_xor_role", "self_delegation"} <= set(validation_error_codes())


@pytest.mark.parametrize(("code", "where"), sorted(validation_error_codes().items()))
def test_validation_error_code_is_documented(code, where):
    assert code in DOMAIN_VALIDATION_CODES, f"{where} raises code {code!r}: add it to DOMAIN_VALIDATION_CODES"
