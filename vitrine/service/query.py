"""Query parameters read by hand, for the hottest route: FastAPI's own parameter solving took a
third of a cached recommendation's time (bench/service_speed.py). Each parameter is declared in
the OpenAPI schema as FastAPI would declare it, and a bad value is the same one-line 422."""

from __future__ import annotations

from dataclasses import dataclass

from vitrine.service.errors import ServiceError


@dataclass(frozen=True)
class IntParam:
    name: str
    default: int | None
    low: int
    high: int
    description: str = ""

    def read(self, query) -> int | None:
        raw = query.get(self.name)
        if raw is None:
            return self.default
        try:
            value = int(raw)
        except ValueError:
            raise ServiceError(422, f"{self.name}: a whole number between {self.low} and {self.high}, "
                                    f"got {raw[:40]!r}") from None
        if not self.low <= value <= self.high:
            raise ServiceError(422, f"{self.name}: between {self.low} and {self.high}, got {value}")
        return value

    def openapi(self) -> dict:
        schema = {"type": "integer", "minimum": self.low, "maximum": self.high}
        if self.default is not None:
            schema["default"] = self.default
        return {"name": self.name, "in": "query", "required": False, "description": self.description,
                "schema": schema}


@dataclass(frozen=True)
class ListParam:
    name: str
    max_items: int
    max_length: int = 128
    description: str = ""

    def read(self, query) -> tuple[str, ...]:
        values = query.getlist(self.name)
        if len(values) > self.max_items:
            raise ServiceError(422, f"{self.name}: at most {self.max_items} values, got {len(values)}")
        if any(len(v) > self.max_length for v in values):
            raise ServiceError(422, f"{self.name}: each value at most {self.max_length} characters")
        return tuple(values)

    def openapi(self) -> dict:
        return {"name": self.name, "in": "query", "required": False, "description": self.description,
                "style": "form", "explode": True,
                "schema": {"type": "array", "maxItems": self.max_items,
                           "items": {"type": "string", "maxLength": self.max_length}}}


@dataclass(frozen=True)
class ChoiceParam:
    name: str
    default: str
    choices: tuple[str, ...]
    description: str = ""

    def read(self, query) -> str:
        raw = query.get(self.name)
        if raw is None:
            return self.default
        if raw not in self.choices:
            raise ServiceError(422, f"{self.name}: one of {', '.join(self.choices)}, got {raw[:40]!r}")
        return raw

    def openapi(self) -> dict:
        return {"name": self.name, "in": "query", "required": False, "description": self.description,
                "schema": {"type": "string", "enum": list(self.choices), "default": self.default}}
