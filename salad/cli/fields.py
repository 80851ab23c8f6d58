"""Config fields as text, for ``salad plugins describe`` and ``salad stages describe``."""

from __future__ import annotations

from pydantic import BaseModel


def field_lines(config: type[BaseModel], indent: str = "    ") -> list[str]:
    """One line per field: name, type, default (or ``required``) and description."""
    lines = []
    for name, field in config.model_fields.items():
        default = "required" if field.is_required() else repr(field.get_default(
            call_default_factory=True))
        ann = getattr(field.annotation, "__name__", str(field.annotation))
        desc = f"  {field.description}" if field.description else ""
        lines.append(f"{indent}{name}: {ann} = {default}{desc}")
    return lines


def config_doc(config: type[BaseModel]) -> str:
    """The config class's own docstring (pydantic's placeholder for none is left out)."""
    doc = (config.__doc__ or "").strip()
    return "" if doc.startswith("!!!") else doc
