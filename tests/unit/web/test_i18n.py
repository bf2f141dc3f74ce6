"""Every message in English and Chinese; every key the templates use exists."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from servops.errors import InvalidParameterError
from servops.web.i18n import EN, MESSAGES, ZH, choose_language, translate

KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']""")
PREFIXED = re.compile(r"""\btv\(\s*["']([a-z0-9_.]+)["']""")


def _load_pages() -> None:
    """Import every mounted page module: some add their strings to the catalogue."""
    import importlib

    from servops.web import PAGE_MODULES

    for name in PAGE_MODULES:
        importlib.import_module(f"servops.web.{name}")


def _templates() -> dict[str, str]:
    root = resources.files("servops.web") / "templates"
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in root.iterdir()
        if p.name.endswith(".j2")
    }


def test_both_catalogues_have_the_same_keys_and_fields() -> None:
    _load_pages()
    en, zh = MESSAGES["en"], MESSAGES["zh"]
    assert set(en) == set(zh), set(en) ^ set(zh)
    for key in en:
        assert en[key].strip(), key
        assert zh[key].strip(), key
        fields_en = set(re.findall(r"\{(\w+)\}", en[key]))
        fields_zh = set(re.findall(r"\{(\w+)\}", zh[key]))
        assert fields_en == fields_zh, key
    # this module's own catalogue is Chinese: every entry but names and codes has a CJK
    # character
    for key in EN:
        assert key in ZH, key
    not_cjk = [k for k in EN if not re.search(r"[\u4e00-\u9fff]", ZH[k])]
    assert not_cjk == ["nav.api", "queue.col.sla"], not_cjk


def test_every_key_the_templates_use_exists_in_both() -> None:
    _load_pages()
    used: set[str] = set()
    for text in _templates().values():
        used |= {k for k in KEY.findall(text) if not k.endswith(".")}
    assert len(used) > 50
    for lang, catalogue in MESSAGES.items():
        missing = sorted(used - set(catalogue))
        assert not missing, (lang, missing)


def test_prefixes_of_data_names_cover_the_default_state_machine_and_metrics() -> None:
    from servops.service.escalation import METRICS
    from servops.service.statemachine import default_state_machine

    for text in _templates().values():
        for prefix in PREFIXED.findall(text):
            assert prefix in {"state", "sla.metric", "role"}, prefix
    for state in default_state_machine().categories():
        assert f"state.{state}" in EN
    for metric in METRICS:
        assert f"sla.metric.{metric}" in EN


def test_no_english_left_on_a_chinese_page() -> None:
    # every visible word of the login page comes from the catalogue
    assert translate("zh", "login.submit") == "登录"
    with pytest.raises(InvalidParameterError, match="no message 'nope'"):
        translate("en", "nope")


@pytest.mark.parametrize(
    ("cookie", "header", "want"),
    [
        (None, None, "en"),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        (None, "en-GB,en;q=0.9,zh;q=0.8", "en"),
        (None, "fr-FR,zh-TW;q=0.5", "zh"),
        (None, "zh;q=0.2,en;q=0.7", "en"),
        (None, "zh;q=0", "en"),
        (None, "de,fr", "en"),
        ("zh", "en", "zh"),
        ("xx", "zh", "zh"),
    ],
)
def test_choose_language(cookie: str | None, header: str | None, want: str) -> None:
    assert choose_language(cookie, header) == want
