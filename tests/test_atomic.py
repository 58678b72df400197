"""Outputs are swapped in only when complete; a failure leaves the previous output intact."""

from __future__ import annotations

import pytest

from trialinterop.atomic import staged_directory, staged_file


def test_directory_replaced_on_success(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with staged_directory(out) as stage:
        (stage / "new.txt").write_text("new")
        assert not (out / "new.txt").exists()
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_directory_kept_on_failure(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), staged_directory(out) as stage:
        (stage / "half.txt").write_text("half")
        raise RuntimeError("boom")
    assert sorted(p.name for p in out.iterdir()) == ["old.txt"]
    assert (out / "old.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_file_kept_on_failure(tmp_path):
    target = tmp_path / "bundle.json"
    target.write_text("previous")
    with pytest.raises(ValueError), staged_file(target) as temp:
        temp.write_text("partial")
        raise ValueError("bad record")
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["bundle.json"]
    with staged_file(target) as temp:
        temp.write_text("complete")
    assert target.read_text() == "complete"


def test_outputs_get_usual_permissions(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        with staged_directory(tmp_path / "out") as stage:
            (stage / "a.txt").write_text("x")
        with staged_file(tmp_path / "b.json") as temp:
            temp.write_text("{}")
    finally:
        os.umask(old)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "b.json").stat().st_mode & 0o777 == 0o644
