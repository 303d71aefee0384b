"""Mounted at /api/v1/. Unknown paths and wrong methods answer in the API's JSON error shape too."""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver, include, path, re_path

from frontdesk.api.api import api, method_not_allowed, unknown_endpoint


def _json_405(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            return method_not_allowed(request, allowed=response["Allow"])
        return response

    return wrapper


def _with_json_405(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    return [
        URLPattern(p.pattern, _json_405(p.callback), p.default_args, p.name) if isinstance(p, URLPattern) else p
        for p in patterns
    ]


api_patterns, app_name_, namespace = api.urls
urlpatterns: list[URLPattern | URLResolver] = [
    path("", include((_with_json_405(api_patterns), app_name_), namespace=namespace)),
    re_path(r"^.*$", unknown_endpoint),
]
