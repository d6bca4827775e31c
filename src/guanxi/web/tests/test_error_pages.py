"""The error pages are the app's own, in its layout and in both languages."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from tests.access import World, make_client

from guanxi.config.log_filters import DisallowedHostLine
from guanxi.web.errors import permission_denied, server_error

HOST_HELP_EN = (
    "This server does not answer to the address in your browser. Open it with one "
    "of the addresses printed when Guanxi started, or ask the administrator to add "
    "this name to GUANXI_ALLOWED_HOSTS."
)


@pytest.mark.parametrize(
    ("language", "explanation"),
    [
        ("en", HOST_HELP_EN),
        (
            "zh-hans",
            "此服务器不响应浏览器中的这个地址。请使用关系启动时显示的地址之一打开，"
            "或请管理员把这个名称加入 GUANXI_ALLOWED_HOSTS。",
        ),
    ],
)
def test_a_host_not_allowed_gets_the_apps_400_page(
    world: World, language: str, explanation: str
) -> None:
    client = make_client(headers={"Accept-Language": language})
    response = client.get("/login/", HTTP_HOST="192.0.2.77:8000")
    assert response.status_code == 400
    html = response.content.decode()
    assert '<header class="topbar">' in html  # the app's layout
    assert "请求无效" in html
    assert "Bad request" in html
    assert explanation in html
    assert "Bad Request (400)" not in html  # Django's bare page


def test_the_400_page_for_other_bad_requests(world: World) -> None:
    # Django refuses a request with too many form fields as a SuspiciousOperation.
    client = make_client(headers={"Accept-Language": "en"})
    body = "&".join(f"f{i}=1" for i in range(1200))
    response = client.post(
        "/login/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        "The server could not understand this request. Go back and try again." in html
    )
    assert HOST_HELP_EN not in html


def test_disallowed_host_is_one_log_line_without_traceback() -> None:
    request = RequestFactory().get("/", HTTP_HOST="evil.example")
    try:
        raise ValueError("stand-in for DisallowedHost")
    except ValueError as exc:
        record = logging.LogRecord(
            "django.security.DisallowedHost", logging.ERROR, __file__, 1,
            "Invalid HTTP_HOST header: %r", ("evil.example",), (type(exc), exc, None),
        )  # fmt: skip
    record.request = request
    assert DisallowedHostLine().filter(record) is True
    assert record.exc_info is None
    assert record.getMessage() == (
        "Refused a request for host 'evil.example': not among the allowed hosts. If "
        "it is this server's name or address, add it to GUANXI_ALLOWED_HOSTS. "
        "已拒绝对主机 'evil.example' 的请求：它不在允许的主机中。"
    )
    assert "\n" not in logging.Formatter().format(record)


@pytest.mark.parametrize(
    ("language", "reason"),
    [
        (
            "en",
            "The form was too old or came from another site. Go back, reload the "
            "page and send it again.",
        ),
        ("zh-hans", "表单已过期或来自其他网站。请返回、刷新页面后再提交。"),
    ],
)
def test_csrf_refusal_is_the_apps_403_page(
    world: World, language: str, reason: str
) -> None:
    # Its own handler: the shared one of make_client() skips CSRF checks.
    client = Client(enforce_csrf_checks=True, headers={"Accept-Language": language})
    response = client.post("/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    html = response.content.decode()
    assert '<header class="topbar">' in html
    assert "无权访问" in html
    assert "Not allowed" in html
    assert reason in html
    assert "CSRF verification failed" not in html  # Django's technical page


def test_403_page_for_permission_denied(db: Any) -> None:
    with translation.override("en"):
        response = permission_denied(RequestFactory().get("/"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "无权访问" in html
    assert "Your role may not open this page." in html


def test_404_page_is_bilingual(client_for: Any, world: World) -> None:
    response = client_for("admin").get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html
    assert "Page not found" in html


def test_500_page_is_bilingual_without_traceback() -> None:
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "服务器出错了" in html
    assert "Something went wrong" in html
    assert "Traceback" not in html


API_NOT_FOUND = {
    "en": "there is no such address in the API (its endpoints are listed at "
    "/api/v1/docs/)",
    "zh-hans": "API 中没有这个地址（接口列表见 /api/v1/docs/）",
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/no-such-endpoint/"),
        ("get", "/api/v1/orders/1/lines/"),
        ("post", "/api/v1/orders/bulk/extra/"),
        ("delete", "/api/v1/"),
        ("get", "/api/v2/orders/"),
    ],
)
def test_unknown_api_addresses_answer_json_in_the_apis_shape(
    api_client_for: Any, world: World, language: str, method: str, path: str
) -> None:
    client = api_client_for("admin", language)
    response = getattr(client, method)(path, {"x": 1}, content_type="application/json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    # The shape of every other 404 of the API ({"detail": message}).
    assert response.json() == {"detail": API_NOT_FOUND[language]}


def test_unknown_api_addresses_answer_json_without_a_login(db: Any) -> None:
    response = make_client(headers={"Accept-Language": "en"}).get("/api/v1/nothing/")
    assert response.status_code == 404
    assert response.json() == {"detail": API_NOT_FOUND["en"]}


def test_other_unknown_addresses_keep_the_404_page(
    client_for: Any, world: World
) -> None:
    response = client_for("admin").get("/apix/v1/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "Page not found" in response.content.decode()
