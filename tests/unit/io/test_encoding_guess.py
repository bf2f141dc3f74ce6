"""The encoding guess tells Latin-1 exports from GB18030 ones (both decode most bytes)."""

from __future__ import annotations

import pytest

from servops.io.encoding import detect_encoding

LATIN = [
    "case,activity,status\n1,Créé,Résolu\n2,Clôturé,Réouvert\n",
    "Fall,Tätigkeit\n1,Prüfung,Straße\n2,Öffnung,Schließen\n",
    "caso,actividad\n1,Atención,Resolución\n2,Configuración,Petición\n",
]
CHINESE = [
    "工单号,状态,处理人\n1,已解决,张三\n2,处理中,李四\n",
    "ticket,channel,status\nT1,VIP客户,已关闭\nT2,P1级,待处理\n",
    "case_id,activity,comment\n7,Created,系统自动创建工单\n7,Closed,客户满意\n",
]


@pytest.mark.parametrize("text", LATIN)
def test_latin_1_exports_are_not_read_as_gb18030(text: str) -> None:
    assert detect_encoding(text.encode("latin-1")) == "latin-1"


@pytest.mark.parametrize("text", CHINESE)
def test_chinese_exports_stay_gb18030(text: str) -> None:
    assert detect_encoding(text.encode("gb18030")) == "gb18030"


@pytest.mark.parametrize("text", LATIN + CHINESE)
def test_utf_8_wins_when_it_decodes(text: str) -> None:
    assert detect_encoding(text.encode("utf-8")) == "utf-8"
