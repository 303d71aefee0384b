"""A request-body parameter that reads a JSON object or HTML form fields, so that one endpoint
takes JSON when there is nothing to upload and multipart/form-data when there are files."""

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.params.models import Form, FormModel


class FormOrJsonModel(FormModel):
    @classmethod
    def get_request_data(cls, request: HttpRequest, api: NinjaAPI, path_params: dict[str, Any]) -> dict[str, Any]:
        if request.content_type != "application/json":
            return super().get_request_data(request, api, path_params) or {}
        try:
            data = api.parser.parse_body(request) if request.body else {}
        except ValueError as exc:
            raise HttpError(400, "The request body is not valid JSON.") from exc
        if not isinstance(data, dict):
            raise HttpError(400, "The request body must be a JSON object.")
        return data


class FormOrJson(Form):  # type: ignore[misc]  # pydantic marks FieldInfo final; ninja's own params subclass it too
    """Use as `payload: Annotated[SomeSchema, FormOrJson(...)]`."""

    _model = FormOrJsonModel

    @classmethod
    def _param_source(cls) -> str:
        return "form"


def json_alternative(schema: type[Any]) -> dict[str, Any]:
    """`openapi_extra` that documents the JSON form of a FormOrJson body beside its multipart form."""
    definition = schema.model_json_schema(ref_template="#/components/schemas/{model}")
    definition.pop("$defs", None)  # the form's own schema already registers these components
    return {"requestBody": {"content": {"application/json": {"schema": definition}}}}
