import dataclasses
import typing
from pathlib import Path

import pytest
from starlette.datastructures import Secret

from portal.settings import SETTINGS, Settings, SettingsError, readme_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_documents_every_setting_as_declared():
    """README.md's table is the one SETTINGS gives: every setting, its default and its meaning, in order."""
    readme = README.read_text()
    assert readme_table() in readme, (
        "README.md's settings table differs from portal/settings.py's SETTINGS: replace it with the output of"
        " python -c 'from portal.settings import readme_table; print(readme_table())'"
    )
    for setting in SETTINGS:
        assert readme.count(f"| `{setting.name}` |") == 1, f"{setting.name} has more than one row in README.md"


def test_each_setting_is_an_attribute_of_the_type_its_declaration_reads(tmp_path):
    settings = Settings.from_environ({"DATA_DIR": str(tmp_path)})
    types = {field.name: field.type for field in dataclasses.fields(settings)}
    assert list(types) == [setting.attribute for setting in SETTINGS]
    for setting in SETTINGS:
        value = getattr(settings, setting.attribute)
        assert isinstance(value, typing.get_origin(types[setting.attribute]) or types[setting.attribute]), setting.name
        assert isinstance(value, Secret) is setting.secret, setting.name


def test_defaults_suit_a_newcomer(tmp_path):
    settings = Settings.from_environ({"DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path}/roundtable.db"
    assert len(str(settings.secret_key)) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert str(Settings.from_environ({"DATA_DIR": str(tmp_path)}).secret_key) == str(settings.secret_key)
    assert str(settings.secret_key) not in repr(settings)


def test_postgres_urls_are_accepted_in_both_spellings(tmp_path):
    settings = Settings.from_environ({"DATA_DIR": str(tmp_path), "DATABASE_URL": "postgres://u@h/db"})
    assert settings.database_url == "postgresql://u@h/db"


@pytest.mark.parametrize(
    "name, value",
    [
        ("DEBUG", "maybe"),
        ("PORT", "eighty"),
        ("WORKERS", "0"),
        ("ARGON2_PROFILE", "fast"),
        ("SMTP_TLS", "ssl"),
        ("DIGEST_HOUR", "24"),
        ("PUBLIC_URL", "ideas.example.org"),
        ("MAIL_FROM", "nobody"),
        ("RATE_LIMITS", "sometimes"),
        ("REDIS_URL", "unix:///run/redis.sock"),
        ("REDIS_URL", "redis://:s3cret@host:abc/0"),
    ],
)
def test_bad_values_name_the_setting(tmp_path, name, value):
    with pytest.raises(SettingsError, match=name):
        Settings.from_environ({"DATA_DIR": str(tmp_path), name: value})


def test_email_settings_read_as_a_newcomer_would_expect(tmp_path):
    settings = Settings.from_environ({"DATA_DIR": str(tmp_path), "PORT": "8080"})
    assert settings.public_url == "http://127.0.0.1:8080" and settings.smtp_host == ""
    assert settings.mail_from == "Roundtable <roundtable@localhost>" and settings.digest_hour == 8
    custom = Settings.from_environ(
        {"DATA_DIR": str(tmp_path), "PUBLIC_URL": "https://ideas.example.org/", "MAIL_FROM": "ideas@example.org"}
    )
    assert custom.public_url == "https://ideas.example.org" and custom.mail_from == "ideas@example.org"


def test_a_bad_redis_address_is_refused_without_repeating_its_password(tmp_path):
    with pytest.raises(SettingsError) as refused:
        Settings.from_environ({"DATA_DIR": str(tmp_path), "REDIS_URL": "redis://:s3cret@host:abc/0"})
    assert "REDIS_URL" in str(refused.value) and "s3cret" not in str(refused.value)
