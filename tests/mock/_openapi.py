"""OpenAPI response validation for the Haal Centraal mocks (BRP, BRK, WOZ).

Loads a specification from the reference folder and validates a response body against the
schema it names for a path, method, status and media type, with every ``$ref`` resolved.
OpenAPI 3.1 documents are JSON Schema 2020-12; 3.0 documents are draft 4 plus ``nullable``,
which is rewritten to a ``null`` type first. Formats are checked.

JSON Schema ignores OpenAPI's ``discriminator``, so a polymorphic schema (``AbstractDatum``,
``AbstractVerblijfplaats``, the query response) would only be checked for its base fields. Each
reference to such a schema is therefore pointed at a dispatcher that also applies the schema
its ``mapping`` names for the value of the discriminating property; the mapped schemas keep
their own reference to the base, so nothing recurses.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

FORMATS = jsonschema.FormatChecker()


def _nullable(node: Any) -> Any:
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _nullable(value) for key, value in node.items()}
    if out.pop("nullable", False) is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def _dispatch_discriminators(document: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    prefix = "#/components/schemas/"
    abstract: dict[str, tuple[str, dict[str, str]]] = {}
    for name, schema in schemas.items():
        discriminator = schema.get("discriminator") if isinstance(schema, dict) else None
        if isinstance(discriminator, dict) and discriminator.get("mapping"):
            abstract[name] = (discriminator["propertyName"], discriminator["mapping"])
    members = {
        name: {target.removeprefix(prefix) for target in mapping.values()}
        for name, (_, mapping) in abstract.items()
    }

    def rewrite(node: Any, owner: str | None) -> Any:
        if isinstance(node, list):
            return [rewrite(item, owner) for item in node]
        if not isinstance(node, dict):
            return node
        out = {key: rewrite(value, owner) for key, value in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith(prefix):
            target = ref.removeprefix(prefix)
            if target in abstract and owner not in members[target]:
                out["$ref"] = f"{prefix}{target}__dispatch"
        return out

    for name in list(schemas):
        schemas[name] = rewrite(schemas[name], name)
    document["paths"] = rewrite(document.get("paths", {}), None)
    if "responses" in document.get("components", {}):
        document["components"]["responses"] = rewrite(document["components"]["responses"], None)
    for name, (prop, mapping) in abstract.items():
        branches: list[Any] = [
            {
                "properties": {prop: {"enum": [value]}},
                "required": [prop],
                "allOf": [{"$ref": target}],
            }
            for value, target in mapping.items()
        ]
        branches.append(
            {"not": {"properties": {prop: {"enum": list(mapping)}}, "required": [prop]}}
        )
        schemas[f"{name}__dispatch"] = {"allOf": [{"$ref": prefix + name}], "anyOf": branches}
    return document


class Spec:
    def __init__(self, path: Path) -> None:
        name = path.stem
        with path.open(encoding="utf-8") as handle:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            raw = yaml.load(handle, Loader=loader)  # noqa: S506 - a safe loader either way
        self.uri = f"urn:brondata:reference:{name}"
        self.v31 = str(raw.get("openapi", "")).startswith("3.1")
        self.document: dict[str, Any] = _dispatch_discriminators(
            raw if self.v31 else _nullable(raw)
        )
        spec = DRAFT202012 if self.v31 else DRAFT4
        resource = Resource.from_contents(self.document, default_specification=spec)
        self.registry: Registry[Any] = Registry().with_resource(self.uri, resource)
        self.validator_class: Any = (
            jsonschema.Draft202012Validator if self.v31 else jsonschema.Draft4Validator
        )

    def _deref(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def _absolute(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self._absolute(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = {key: self._absolute(value) for key, value in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            out["$ref"] = self.uri + ref
        return out

    def response_schema(self, path: str, method: str, status: int) -> dict[str, Any]:
        operation = self.document["paths"][path][method]
        responses = operation["responses"]
        response = self._deref(responses.get(str(status)) or responses["default"])
        content = response["content"]
        media = next(iter(content))
        return self._absolute(copy.deepcopy(content[media]["schema"]))

    def component(self, name: str) -> dict[str, Any]:
        return {"$ref": f"{self.uri}#/components/schemas/{name}"}

    def validate(self, instance: Any, schema: dict[str, Any]) -> None:
        validator = self.validator_class(schema, registry=self.registry, format_checker=FORMATS)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        if errors:
            details = "\n".join(
                f"- at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
                for e in errors[:10]
            )
            raise AssertionError(f"{len(errors)} schema violation(s):\n{details}")

    def check(self, path: str, method: str, status: int, body: Any) -> None:
        self.validate(body, self.response_schema(path, method, status))
