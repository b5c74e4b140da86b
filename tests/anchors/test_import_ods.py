from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from anchors.models import Organisation
from tests.anchors.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "anchors" / "data" / "etr_sample.csv"
ROW = '"{code}","{name}","Y63","QHM","1 HIGH STREET","","","NORTH SHIELDS","TYNE AND WEAR","NE29 8NH","19980401","{closed}"\n'


def run(path) -> tuple[str, str]:
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("import_ods", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_loads_the_sample_as_listed_organisations():
    out, _ = run(SAMPLE)
    assert "17 created, 0 updated, 0 unchanged, 1 closed, 0 rejected" in out
    northumbria = Organisation.objects.get(ods_code="RTF")
    assert northumbria.name == "Northumbria Healthcare NHS Foundation Trust"
    assert northumbria.status == Organisation.Status.LISTED
    assert northumbria.region.code == "Y63"
    assert northumbria.icb.code == "QHM"
    assert northumbria.postcode == "NE29 8NH"
    assert Organisation.objects.get(ods_code="RX9").type == Organisation.Type.AMBULANCE_TRUST
    assert Organisation.objects.get(ods_code="RBZ").closed_on is not None
    assert not Organisation.objects.verified().exists()  # nothing appears in the directory


def test_the_same_file_twice_changes_nothing():
    run(SAMPLE)
    out, _ = run(SAMPLE)
    assert "0 created, 0 updated, 17 unchanged, 0 closed, 0 rejected" in out


def test_it_updates_by_ods_code_and_keeps_membership_status(tmp_path):
    member = OrganisationFactory(ods_code="RTF", name="Old name", postcode="")
    path = tmp_path / "etr.csv"
    path.write_text(ROW.format(code="RTF", name="NORTHUMBRIA HEALTHCARE NHS FOUNDATION TRUST", closed=""))
    out, _ = run(path)
    assert "0 created, 1 updated" in out
    member.refresh_from_db()
    assert member.name == "Northumbria Healthcare NHS Foundation Trust"
    assert member.status == Organisation.Status.VERIFIED


def test_it_marks_closed_organisations(tmp_path):
    path = tmp_path / "etr.csv"
    path.write_text(ROW.format(code="RTF", name="A TRUST", closed=""))
    run(path)
    path.write_text(ROW.format(code="RTF", name="A TRUST", closed="20260331"))
    out, _ = run(path)
    assert "0 created, 1 updated, 0 unchanged, 1 closed" in out
    assert str(Organisation.objects.get(ods_code="RTF").closed_on) == "2026-03-31"


def test_a_malformed_row_is_reported_with_its_line_and_skipped(tmp_path):
    path = tmp_path / "etr.csv"
    path.write_text(
        ROW.format(code="RTF", name="A TRUST", closed="")
        + ROW.format(code="RBS", name="B TRUST", closed="").replace("19980401", "1998-04-01")
        + '"RAL","SHORT ROW"\n'
        + ROW.format(code="RR8", name="C TRUST", closed="").replace('"Y63"', '"Y99"')
    )
    out, err = run(path)
    assert "1 created, 0 updated, 0 unchanged, 0 closed, 3 rejected" in out
    assert "line 2" in err and "not a date" in err
    assert "line 3" in err
    assert "line 4" in err and "Y99" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<!DOCTYPE html><html><body>Not found</body></html>", "web page"),
        (b"code,name,grouping,icb,a1,a2,a3,a4,a5,postcode,opened,closed\nRTF,X,Y63,QHM,,,,,,NE1 1AA,19980401,\n", "header"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        (b"", "empty"),
    ],
)
def test_a_file_in_another_format_is_refused(tmp_path, content, message):
    path = tmp_path / "etr.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run(path)
    assert not Organisation.objects.exists()


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path / "nope.csv")
