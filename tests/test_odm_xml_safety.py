"""Untrusted ODM XML: malformed files, entity expansion, external entities and oversized files are refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from trialinterop.errors import InputError
from trialinterop.odm.reader import read_odm
from trialinterop.odm.xmlsafe import parse_untrusted_xml

REPO = Path(__file__).resolve().parents[1]
STUDY = REPO / "fixtures" / "records" / "study.yaml"
MAPPING = REPO / "mappings" / "odm" / "nct05016804.yaml"

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE ODM [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><ClinicalData StudyOID="&lol9;"/></ODM>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE ODM [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><ClinicalData StudyOID="&xxe;"/></ODM>
"""


def _issue(path: Path, **kwargs) -> tuple[str, str]:
    with pytest.raises(InputError) as caught:
        parse_untrusted_xml(path, **kwargs)
    [issue] = caught.value.issues
    return issue.key, issue.message


def test_malformed_xml(tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    path.write_text('<?xml version="1.0"?>\n<ODM>\n<ClinicalData>\n</ODM>\n', encoding="utf-8")
    key, message = _issue(path)
    assert key == "line 4"
    assert message.startswith("malformed XML: Opening and ending tag mismatch: ClinicalData")


def test_billion_laughs_refused(tmp_path: Path) -> None:
    path = tmp_path / "lol.xml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    assert _issue(path) == (
        "line 2",
        "DOCTYPE with ENTITY declarations is not accepted (entity expansion / external entities)",
    )


def test_external_entity_refused(tmp_path: Path) -> None:
    path = tmp_path / "xxe.xml"
    path.write_text(EXTERNAL_ENTITY, encoding="utf-8")
    key, message = _issue(path)
    assert key == "line 2"
    assert "ENTITY" in message


def test_entity_declared_beyond_the_prescan_is_still_refused(tmp_path: Path) -> None:
    padding = "<!-- " + "x" * (1024**2 + 10) + " -->"
    path = tmp_path / "late.xml"
    path.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE ODM [{padding}<!ENTITY a "b">]>\n<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"/>\n',
        encoding="utf-8",
    )
    assert _issue(path)[1].startswith("DOCTYPE with ENTITY declarations is not accepted")


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_text('<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"/>' + " " * 200, encoding="utf-8")
    assert _issue(path, max_bytes=100)[1] == "file is 247 bytes, above the limit of 100 bytes"


def test_missing_file(tmp_path: Path) -> None:
    assert _issue(tmp_path / "absent.xml")[1] == "cannot open: No such file or directory"


def test_read_odm_refuses_billion_laughs_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "lol.xml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_odm(path, MAPPING, STUDY)
    assert str(caught.value).startswith(f"cannot read {path}: 1 problem(s)")


def test_error_renders_through_guarded_command(tmp_path: Path) -> None:
    """The CLI wrapper (@guarded) turns an ODM InputError into exit 2 and a message, no traceback."""
    import click

    from trialinterop.commands.common import guarded

    @click.command()
    @guarded
    def cmd() -> None:
        read_odm(tmp_path / "lol.xml", MAPPING, STUDY)

    (tmp_path / "lol.xml").write_text(BILLION_LAUGHS, encoding="utf-8")
    result = CliRunner().invoke(cmd, [])
    assert result.exit_code == 2
    assert "DOCTYPE with ENTITY declarations is not accepted" in result.output
    assert "Traceback" not in result.output
