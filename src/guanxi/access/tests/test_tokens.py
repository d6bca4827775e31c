"""REST API tokens are stored hashed: nothing in the database authenticates,
tokens from before keep working after the migration hashes them."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from guanxi.access.choices import Role
from guanxi.access.models import ApiToken
from guanxi.access.services import api_token_issue, api_token_revoke

pytestmark = pytest.mark.django_db(transaction=True)


def _status(key: str) -> int:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/customers/").status_code


def _every_text_value() -> str:
    """Every value of every table, as text."""
    values: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            values.extend(str(v) for row in cursor.fetchall() for v in row)
    return "\n".join(values)


def test_the_database_holds_no_token_in_clear(make_user: Any) -> None:
    key = api_token_issue(user=make_user(Role.SERVICE, username="li"))
    assert key.startswith("gx_") and len(key) == 46
    stored = ApiToken.objects.get()
    assert stored.digest == hashlib.sha256(key.encode()).hexdigest()
    assert stored.prefix == key[:10]
    dump = _every_text_value()
    assert key not in dump and key[10:20] not in dump
    assert _status(key) == 200
    assert _status(key[:-1] + ("A" if key[-1] != "A" else "B")) == 401
    assert api_token_revoke(user=stored.user) is True
    assert _status(key) == 401


def test_clear_tokens_are_hashed_by_the_migration_and_keep_working(
    make_user: Any,
) -> None:
    li = make_user(Role.SERVICE, username="li")
    executor = MigrationExecutor(connection)
    executor.migrate([("access", "0002_staff_language")])
    old_apps = executor.loader.project_state(
        [
            ("access", "0002_staff_language"),
            ("authtoken", "0004_alter_tokenproxy_options"),
        ]
    ).apps
    old_key = "0123456789abcdef0123456789abcdef01234567"
    old_apps.get_model("authtoken", "Token").objects.create(key=old_key, user_id=li.pk)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cursor.fetchone() == (0,)
    assert old_key not in _every_text_value()
    assert ApiToken.objects.get(user=li).prefix == old_key[:10]
    assert _status(old_key) == 200


def test_the_django_admin_offers_no_clear_token_model(client: Any) -> None:
    """DRF's token model is installed for the migration only: its admin page,
    which would make tokens stored in clear, is gone."""
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", password="root-pass-7")
    client.force_login(root)
    index = client.get("/admin/")
    assert index.status_code == 200
    assert b"/admin/access/staffprofile/" in index.content
    assert b"authtoken" not in index.content
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 404
