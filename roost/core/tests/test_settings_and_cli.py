"""Settings come from the environment in one module; `roost run` refuses unsafe ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from roost.cli import build_parser
from roost.config.env import (
    DEMO_SECRET_KEY,
    ConfigurationError,
    parse_email_url,
    production_problems,
    read_environment,
)


def test_sqlite_under_var_when_database_url_is_unset(tmp_path):
    env = read_environment({"ROOST_VAR_DIR": str(tmp_path)})
    assert env.database_url == f"sqlite:///{tmp_path / 'roost.sqlite3'}"
    assert env.uses_demo_secret


def test_every_setting_is_read():
    env = read_environment(
        {
            "DATABASE_URL": "postgres://u:p@db/roost",
            "ROOST_SECRET_KEY": "s" * 50,
            "ROOST_ENCRYPTION_KEYS": "k1:AAAA",
            "ROOST_ALLOWED_HOSTS": "roost.example.com, 10.0.0.5",
            "ROOST_EMAIL_URL": "smtp://mailer:p%40ss@mail.example.com:587?tls=1",
            "ROOST_DEBUG": "true",
        }
    )
    assert env.database_url == "postgres://u:p@db/roost"
    assert env.allowed_hosts == ["roost.example.com", "10.0.0.5"]
    assert env.encryption_keys == "k1:AAAA"
    assert env.email.host == "mail.example.com" and env.email.port == 587
    assert env.email.password == "p@ss" and env.email.use_tls
    assert env.debug
    assert "s" * 50 not in repr(env) and "p@ss" not in repr(env)


@pytest.mark.parametrize("url", ["gopher://x", "smtp://"])
def test_bad_email_url_is_a_clear_error(url):
    with pytest.raises(ConfigurationError, match="ROOST_EMAIL_URL"):
        parse_email_url(url)


def test_production_problems_name_the_demo_secret_and_exposed_debug():
    assert production_problems(read_environment({})) != []
    safe = {
        "ROOST_SECRET_KEY": "x" * 50,
        "ROOST_ALLOWED_HOSTS": "roost.example.com",
        "ROOST_ENCRYPTION_KEYS": "k1:" + "A" * 43,
        "ROOST_BASE_URL": "https://roost.example.com",
    }
    assert production_problems(read_environment(safe)) == []
    unset = production_problems(read_environment({**safe, "ROOST_BASE_URL": ""}))
    assert len(unset) == 1 and "ROOST_BASE_URL" in unset[0]
    exposed = production_problems(read_environment({**safe, "ROOST_DEBUG": "1"}))
    assert len(exposed) == 1 and "ROOST_DEBUG" in exposed[0]
    loopback = {
        "ROOST_SECRET_KEY": "x" * 50,
        "ROOST_DEBUG": "1",
        "ROOST_ENCRYPTION_KEYS": "k1:" + "A" * 43,
        "ROOST_BASE_URL": "http://127.0.0.1:8000",
    }
    assert production_problems(read_environment(loopback)) == []


def _roost(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("ROOST_", "DJANGO_", "DATABASE_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "roost.cli", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        # A guard against a hang, not a speed check: a busy two-core CI machine takes over
        # a minute to migrate and seed the whole demo.
        timeout=600,
        check=False,
    )


def test_roost_run_refuses_the_demo_secret(tmp_path):
    result = _roost("run", ROOST_VAR_DIR=str(tmp_path))
    assert result.returncode == 2
    assert "refusing to start" in result.stderr
    assert "ROOST_SECRET_KEY" in result.stderr
    assert not (tmp_path / "roost.sqlite3").exists()


def test_roost_run_refuses_debug_on_a_public_host(tmp_path):
    result = _roost(
        "run",
        ROOST_VAR_DIR=str(tmp_path),
        ROOST_SECRET_KEY="x" * 50,
        ROOST_DEBUG="1",
        ROOST_ALLOWED_HOSTS="roost.example.com",
    )
    assert result.returncode == 2
    assert "ROOST_DEBUG" in result.stderr
    assert DEMO_SECRET_KEY not in result.stderr


def test_help_lists_every_command_with_one_line():
    text = build_parser().format_help()
    for command in ("demo", "run", "worker", "migrate", "createadmin", "audit", "vault"):
        assert f"    {command}" in text


def test_demo_seed_only_is_idempotent_and_createadmin_and_verify_work(tmp_path):
    first = _roost("demo", "--seed-only", ROOST_VAR_DIR=str(tmp_path))
    assert first.returncode == 0, first.stderr
    assert "ada@northwind.example" in first.stdout
    second = _roost("demo", "--seed-only", ROOST_VAR_DIR=str(tmp_path))
    assert second.returncode == 0, second.stderr
    import sqlite3

    db = sqlite3.connect(Path(tmp_path) / "roost.sqlite3")
    assert db.execute("SELECT count(*) FROM core_user").fetchone()[0] == 8
    # One role each, Victor's temporary cover on Corporate (it ends by itself), and Chloé
    # also writes the Careers posts (she has work of every kind to hand over when
    # offboarded: roost.governance.offboarding.demo).
    assert db.execute("SELECT count(*) FROM core_membership").fetchone()[0] == 10
    expiring = "SELECT count(*) FROM core_membership WHERE expires_at IS NOT NULL"
    assert db.execute(expiring).fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM channels_channel").fetchone()[0] == 14
    assert db.execute("SELECT count(*) FROM channels_credential").fetchone()[0] == 14
    posts = db.execute("SELECT state, count(*) FROM publishing_post GROUP BY state").fetchall()
    by_state = dict(posts)
    # Today's posts: two going out today, one waiting for approval, a failed and an
    # unconfirmed one (both "partly failed": the post's other copies went out); and
    # Chloé's scheduled Careers post.
    assert by_state["published"] == 90 and by_state["scheduled"] == 17
    assert by_state["in_approval"] == 3  # the campaign and Today's post waiting for approval
    assert by_state["partly_failed"] == 2
    # The inbox: 2 support teams beside the 3 others, 5 routing rules, 9 SLA policies,
    # and 3 conversations close to their first-response target.
    assert db.execute("SELECT count(*) FROM core_team").fetchone()[0] == 5
    assert db.execute("SELECT count(*) FROM inbox_routingrule").fetchone()[0] == 5
    assert db.execute("SELECT count(*) FROM inbox_slapolicy").fetchone()[0] == 10
    warned = "SELECT count(*) FROM inbox_conversation WHERE sla_state = 'warning'"
    assert db.execute(warned).fetchone()[0] == 3
    assert db.execute("SELECT count(*) FROM core_organization").fetchone()[0] == 1
    events = db.execute("SELECT count(*) FROM core_auditevent").fetchone()[0]
    created = _roost(
        "createadmin",
        "--email",
        "root@acme.example",
        "--name",
        "Root",
        "--org-slug",
        "acme",
        ROOST_VAR_DIR=str(tmp_path),
        ROOST_ADMIN_PASSWORD="a-long-admin-password",
    )
    assert created.returncode == 0, created.stderr
    verified = _roost("audit", "verify", ROOST_VAR_DIR=str(tmp_path))
    assert verified.returncode == 0
    assert verified.stdout.strip() == f"verified {events + 3} events"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", ""), ("https://roost.example.com/", "https://roost.example.com"),
     ("http://127.0.0.1:8000", "http://127.0.0.1:8000")],
)  # fmt: skip
def test_the_base_url_for_links_is_read_from_the_environment(value, expected):
    assert read_environment({"ROOST_BASE_URL": value}).base_url == expected


@pytest.mark.parametrize("value", ["roost.example.com", "ftp://roost.example.com", "https://"])
def test_a_bad_base_url_is_a_clear_error(value):
    with pytest.raises(ConfigurationError, match="ROOST_BASE_URL"):
        read_environment({"ROOST_BASE_URL": value})
