"""Request bodies: the JSON schemas of the write and trace endpoints, and reading them safely.

A JSON body is validated against its model in one step (every problem named, malformed JSON
a 400); a multipart body is read with the file and field counts limited before any part is
buffered.  ``openapi_body`` describes both forms of a body in the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from newstrace.service.errors import ApiError, validation_problems
from newstrace.service.uploads import Upload, holds_control_character
from newstrace.stages.ingest.metadata import parse_date

__all__ = [
    "BATCH_SCHEMA",
    "TRACE_SCHEMA",
    "DocumentIn",
    "DocumentsBatch",
    "TraceIn",
    "content_type",
    "openapi_body",
    "read_files",
    "read_json_model",
]


_DATE_FORMS = "a date such as 2024-05-29, 2024-05-29T10:00:00Z, 29 May 2024 or May 29, 2024"


def _checked_id(value: str | None) -> str | None:
    """An id as given, refused when it holds a control character (``holds_control_character``)."""
    if value is not None and holds_control_character(value):
        raise ValueError("an id may not hold a control character (a line break, a tab)")
    return value


def _checked_date(value: str | None) -> str | None:
    """A published date the ingest reads (``metadata.parse_date``), refused otherwise rather
    than stored as no date: the date decides which of two articles came first.  Numeric
    day-month forms (04/05/2024) are ambiguous and refused."""
    if value is not None and value.strip() and parse_date(value) is None:
        raise ValueError(f"not a date newstrace reads: {value[:40]!r} (give {_DATE_FORMS})")
    return value


class DocumentIn(BaseModel):
    """One article: the fields of the JSONL input (docs/output.md)."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(None, max_length=1000, description="the article's id; a content hash when absent")
    text: str | None = Field(None, description="the article's plain text")
    html: str | None = Field(None, description="the article's web page (main text extracted)")
    url: str | None = None
    title: str | None = None
    published: str | None = Field(None, description=f"publication date: {_DATE_FORMS}")

    _id = field_validator("id")(_checked_id)
    _published = field_validator("published")(_checked_date)

    @model_validator(mode="after")
    def _has_body(self) -> DocumentIn:
        if not (self.text and self.text.strip()) and not (self.html and self.html.strip()):
            raise ValueError("needs a non-empty 'text' or 'html'")
        return self


class DocumentsBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    documents: list[DocumentIn] = Field(min_length=1)


class TraceIn(BaseModel):
    """The article to trace: ``text`` or ``html``, with optional metadata."""

    model_config = ConfigDict(extra="forbid")
    text: str | None = None
    html: str | None = None
    id: str | None = Field(None, max_length=1000)
    url: str | None = None
    title: str | None = None
    published: str | None = Field(None, description=f"publication date: {_DATE_FORMS}")

    _id = field_validator("id")(_checked_id)
    _published = field_validator("published")(_checked_date)

    @model_validator(mode="after")
    def _has_body(self) -> TraceIn:
        if not (self.text and self.text.strip()) and not (self.html and self.html.strip()):
            raise ValueError("needs a non-empty 'text' or 'html'")
        return self


BATCH_SCHEMA = DocumentsBatch.model_json_schema(ref_template="#/components/schemas/{model}")
TRACE_SCHEMA = TraceIn.model_json_schema(ref_template="#/components/schemas/{model}")


def openapi_body(schema: dict[str, Any], field: str, many: bool) -> dict[str, Any]:
    """The ``requestBody`` of an endpoint taking JSON (``schema``) or multipart files in ``field``."""
    file_schema: dict[str, Any] = {"type": "string", "format": "binary"}
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {k: v for k, v in schema.items() if k != "$defs"}},
        "multipart/form-data": {"schema": {"type": "object", "required": [field], "properties": {
            field: {"type": "array", "items": file_schema} if many else file_schema}}},
    }}}


def content_type(request: Request) -> str:
    """The request's media type, lower case, without parameters."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_json_model(request: Request, model: type[BaseModel]) -> Any:
    """The body validated as ``model``: 400 when empty or malformed, 422 naming every bad field."""
    body = await request.body()
    if not body.strip():
        raise ApiError(400, "empty request body: send JSON")
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        problems = validation_problems(exc)
        raise ApiError(400 if "malformed JSON" in problems[0] else 422,
                       "invalid request body: " + "; ".join(problems[:5]), problems) from None


async def read_files(request: Request, field: str, max_files: int, *, limit_hint: str = "serve --max-files") -> list[Upload]:
    """The files of a multipart body's ``field`` (at most ``max_files``: 413 beyond, the
    message naming what sets the limit, ``limit_hint``)."""
    try:
        form = await request.form(max_files=max_files, max_fields=100)
    except (MultiPartException, StarletteHTTPException) as exc:
        message = exc.message if isinstance(exc, MultiPartException) else str(exc.detail)
        if "Too many files" in message:
            raise ApiError(413, f"multipart body refused: {message} ({limit_hint})") from None
        raise ApiError(400, f"multipart body refused: {message} (a cut-off or malformed multipart body?)") from None
    uploads = []
    for item in form.getlist(field):
        if isinstance(item, str):
            raise ApiError(400, f"form field {field!r} must be a file, got text")
        uploads.append(Upload(item.filename or "", await item.read()))
        await item.close()
    await form.close()
    if not uploads:
        raise ApiError(400, f"no file in the form field {field!r}")
    return uploads
