"""The API's documentation page, generated from its OpenAPI schema: endpoints with their
parameters and answers, and the models, as plain rows for a server-rendered page (no Swagger UI:
it would load its scripts from a CDN, which our CSP forbids and a slow line would not want)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    description: str
    where: str = ""  # a parameter's place: query, header, path


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    parameters: tuple[Field, ...]
    answer: str  # the 200 answer's model
    errors: tuple[tuple[str, str], ...]  # (status, description)


@dataclass(frozen=True)
class ModelDoc:
    name: str
    fields: tuple[Field, ...]


def type_of(schema: dict[str, Any]) -> str:
    """A JSON schema in words: "string (date-time)", "list of Progress", "integer or null"."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(type_of(s) for s in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    kind = schema.get("type", "any")
    if kind == "array":
        return "list of " + type_of(schema.get("items", {}))
    if kind == "object" and "additionalProperties" in schema:
        extra = schema["additionalProperties"]
        return "map to " + (type_of(extra) if isinstance(extra, dict) else "any")
    if kind == "integer" and ("minimum" in schema or "maximum" in schema):
        return f"integer {schema.get('minimum', '')}..{schema.get('maximum', '')}"
    return f"{kind} ({schema['format']})" if "format" in schema else str(kind)


def _answer(op: dict[str, Any]) -> str:
    content = op.get("responses", {}).get("200", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    return type_of(schema) if schema else ""


def describe(openapi: dict[str, Any]) -> tuple[list[Endpoint], list[ModelDoc]]:
    base = (openapi.get("servers") or [{"url": ""}])[0]["url"].rstrip("/")
    endpoints = []
    for path, operations in openapi.get("paths", {}).items():
        for method, op in operations.items():
            params = tuple(
                Field(
                    p["name"],
                    type_of(p.get("schema", {})),
                    bool(p.get("required")),
                    p.get("description") or p.get("schema", {}).get("description", ""),
                    p.get("in", ""),
                )
                for p in op.get("parameters", [])
            )
            errors = tuple(
                (code, r.get("description", "")) for code, r in op.get("responses", {}).items() if code != "200"
            )
            endpoints.append(
                Endpoint(
                    method.upper(),
                    base + path,
                    op.get("operationId", path),
                    op.get("summary", ""),
                    op.get("description", ""),
                    params,
                    _answer(op),
                    errors,
                )
            )
    models = []
    for name, schema in sorted(openapi.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", ()))
        fields = tuple(
            Field(field, type_of(s), field in required, s.get("description", ""))
            for field, s in schema.get("properties", {}).items()
        )
        models.append(ModelDoc(name, fields))
    return endpoints, models
