"""--engine spark (trialinterop.spark) gives what the single-machine path gives: the same records, warnings, problems
and coverage from fhir-to-sdtm (so byte-identical XPT, Dataset-JSON and define.xml), the same first error for bad
input, and the same validation findings in the same order, for one package and several at once. Spark runs in local
mode (local[2], no UI); the tests skip only when no Java is installed. Without pyspark or Java the CLI says so (exit 2).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyreadstat
import pytest
from click.testing import CliRunner

from trialinterop.cli import main
from trialinterop.definition import bundled_definition
from trialinterop.errors import InputError
from trialinterop.fhir.emit import write_fhir
from trialinterop.fhir_in import read_fhir_trial
from trialinterop.fhir_in.load import _read_ndjson_folder
from trialinterop.fhir_in.pipeline import FhirRefused
from trialinterop.source.generate import generate_records
from trialinterop.spark import ndjson as ndjson_reader
from trialinterop.spark import ranges as spark_ranges
from trialinterop.spark import session as spark_session_module
from trialinterop.spark.fhir_to_sdtm import read_fhir_trial_spark
from trialinterop.spark.session import java_command, spark_session
from trialinterop.spark.validate import PackageInput, validate_spark
from trialinterop.validate.api import validate

NO_JAVA = "no Java installed (--engine spark needs Java 17+; the CI machine has it)"
needs_java = pytest.mark.skipif(java_command() is None, reason=NO_JAVA)
STUDY = "NCT05016804"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    if java_command() is None:
        pytest.skip(NO_JAVA)
    with spark_session("local[2]") as session:  # the CLI runs below join this session
        yield session


def ndjson(folder: Path, subjects: int, version: str, *, seed: int = 17, study: str = STUDY) -> Path:
    records = generate_records(bundled_definition(study), subjects=subjects, seed=seed)
    write_fhir(records, folder, version=version, form="ndjson")
    return folder


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --- a clear error without pyspark or Java ---------------------------------------------------------------------


def test_without_pyspark_the_cli_says_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = ndjson(tmp_path / "nd", 2, "R4")
    real = spark_session_module.importlib.util.find_spec
    monkeypatch.setattr(
        spark_session_module.importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a)
    )
    result = cli("fhir-to-sdtm", str(source), "-o", str(tmp_path / "out"), "--study", STUDY, "--engine", "spark")
    assert result.exit_code == 2
    assert "needs pyspark, which is not installed" in result.output
    assert "pip install 'trialinterop[spark]'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_without_java_the_cli_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pkg").mkdir()
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = cli("validate", str(tmp_path / "pkg"), "--engine", "spark")
    assert result.exit_code == 2
    assert "--engine spark needs Java 17 or later: no java on PATH and no JAVA_HOME" in result.output


def test_master_without_the_spark_engine_is_refused(tmp_path: Path) -> None:
    result = cli("validate", str(tmp_path), "--master", "local[2]")
    assert result.exit_code == 2
    assert "--master goes with --engine spark" in result.output


# --- fhir-to-sdtm ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ndjson(tmp_path_factory.mktemp("small") / "nd", 12, "R4")


def test_spark_reads_the_same_trial_warnings_and_coverage(spark: Any, small: Path) -> None:
    local = read_fhir_trial(small, study=STUDY)
    distributed = read_fhir_trial_spark(spark, small, study=STUDY)
    assert len(distributed.records.subjects) == 12
    assert distributed.records == local.records
    assert distributed.warnings == local.warnings
    assert distributed.version == "R4"
    assert distributed.coverage.summary_lines() == local.coverage.summary_lines()


@pytest.mark.parametrize("chunk_bytes", [97, 1000, 40_000])
def test_byte_ranges_give_every_line_once_with_its_number(small: Path, chunk_bytes: int) -> None:
    files = ndjson_reader.ndjson_files(small)
    found = ndjson_reader.chunks(files, chunk_bytes)
    assert len(found) > len(files)  # files are cut into several ranges
    numbered = ndjson_reader.numbered(found, [ndjson_reader.count_starts(c) for c in found])
    items = [item for chunk in numbered for _, item in ndjson_reader.read_chunk(chunk)]
    expected = list(_read_ndjson_folder(small))
    assert [(i.where, i.resource) for i in items] == [(i.where, i.resource) for i in expected]


def test_blank_lines_and_a_last_line_without_newline(tmp_path: Path) -> None:
    group = '{"resourceType":"Group","id":"g%d"}'
    text = f"{group % 1}\n\n\n{group % 2}\n{group % 3}"
    (tmp_path / "Group.ndjson").write_text(text)
    for size in (1, 5, 36, 37, 38, 1000):
        found = ndjson_reader.chunks([tmp_path / "Group.ndjson"], size)
        numbered = ndjson_reader.numbered(found, [ndjson_reader.count_starts(c) for c in found])
        items = [item for chunk in numbered for _, item in ndjson_reader.read_chunk(chunk)]
        assert [i.where for i in items] == [
            "Group.ndjson:1 (Group/g1)",
            "Group.ndjson:4 (Group/g2)",
            "Group.ndjson:5 (Group/g3)",
        ], size


def test_small_byte_ranges_in_spark_give_the_same_trial(spark: Any, small: Path) -> None:
    local = read_fhir_trial(small, study=STUDY)
    distributed = read_fhir_trial_spark(spark, small, study=STUDY, chunk_bytes=5000)
    assert distributed.records == local.records
    assert distributed.warnings == local.warnings


def _rewrite(folder: Path, name: str, change: Any) -> None:
    path = folder / name
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    path.write_text("".join(json.dumps(change(n, r)) + "\n" for n, r in enumerate(lines)))


def test_references_by_identifier_join_their_patient_as_on_one_machine(spark: Any, small: Path, tmp_path: Path) -> None:
    folder = tmp_path / "nd"
    folder.mkdir()
    for path in small.glob("*.ndjson"):
        (folder / path.name).write_bytes(path.read_bytes())
    patients = [json.loads(line) for line in (folder / "Patient.ndjson").read_text().splitlines()]
    identifier = patients[0]["identifier"][0]
    by_identifier = {"identifier": {"system": identifier.get("system"), "value": identifier["value"]}}
    moved = []

    def point_by_identifier(number: int, resource: dict[str, Any]) -> dict[str, Any]:
        if resource["subject"].get("reference") == f"Patient/{patients[0]['id']}" and len(moved) < 3:
            moved.append(resource["id"])
            resource["subject"] = by_identifier
        return resource

    _rewrite(folder, "Observation.ndjson", point_by_identifier)
    assert len(moved) == 3
    local = read_fhir_trial(folder, study=STUDY)
    distributed = read_fhir_trial_spark(spark, folder, study=STUDY)
    assert distributed.records == local.records
    assert distributed.warnings == local.warnings
    assert distributed.coverage.summary_lines() == local.coverage.summary_lines()


def test_the_first_bad_line_is_the_error_on_both_engines(spark: Any, small: Path, tmp_path: Path) -> None:
    folder = tmp_path / "nd"
    folder.mkdir()
    for path in small.glob("*.ndjson"):
        (folder / path.name).write_bytes(path.read_bytes())
    observations = (folder / "Observation.ndjson").read_text().splitlines()
    observations[6] = observations[6][:-1]  # line 7: cut JSON
    observations[9] = observations[3]  # line 10: a duplicate id, after the first error
    (folder / "Observation.ndjson").write_text("\n".join(observations) + "\n")
    with pytest.raises(InputError) as on_one:
        read_fhir_trial(folder, study=STUDY)
    with pytest.raises(InputError) as on_spark:
        read_fhir_trial_spark(spark, folder, study=STUDY)
    assert on_spark.value.issues == on_one.value.issues
    assert on_spark.value.issues[0].where == "Observation.ndjson:7"


def test_a_duplicate_id_is_the_same_error(spark: Any, small: Path, tmp_path: Path) -> None:
    folder = tmp_path / "nd"
    folder.mkdir()
    for path in small.glob("*.ndjson"):
        (folder / path.name).write_bytes(path.read_bytes())
    lines = (folder / "Observation.ndjson").read_text().splitlines()
    lines.append(lines[4])
    (folder / "Observation.ndjson").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as on_one:
        read_fhir_trial(folder, study=STUDY)
    with pytest.raises(InputError) as on_spark:
        read_fhir_trial_spark(spark, folder, study=STUDY)
    assert on_spark.value.issues == on_one.value.issues
    assert "duplicate resource Observation/" in on_spark.value.issues[0].message


def test_without_study_the_definition_is_rebuilt_and_the_refusal_is_the_same(spark: Any, small: Path) -> None:
    with pytest.raises(FhirRefused) as on_one:
        read_fhir_trial(small)
    with pytest.raises(FhirRefused) as on_spark:
        read_fhir_trial_spark(spark, small)
    assert on_spark.value.issues == on_one.value.issues
    assert on_spark.value.coverage.summary_lines() == on_one.value.coverage.summary_lines()
    without_strict = read_fhir_trial_spark(spark, small, strict=False)
    assert without_strict.records == read_fhir_trial(small, strict=False).records


def _both_engines(source: Path, out: Path, *extra: str) -> tuple[dict[str, bytes], dict[str, bytes]]:
    common = ("fhir-to-sdtm", str(source), "--study", STUDY, "--format", "xpt,json", *extra)
    local = cli(*common, "-o", str(out / "local"))
    assert local.exit_code == 0, local.output
    spark = cli(*common, "-o", str(out / "spark"), "--engine", "spark", "--master", "local[2]")
    assert spark.exit_code == 0, spark.output
    assert spark.output.replace(str(out / "spark"), "OUT") == local.output.replace(str(out / "local"), "OUT")
    return files_of(out / "local"), files_of(out / "spark")


def test_cli_writes_byte_identical_packages(
    spark: Any, small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spark_ranges, "RANGE_SUBJECTS", 5)  # every per-subject dataset in 3 ranges of subjects
    monkeypatch.setattr(spark_ranges, "RANGE_ROWS", 1)  # each range by a task of its own
    local, distributed = _both_engines(small, tmp_path)
    assert {"dm.xpt", "dm.json", "define.xml", "ae.xpt"} <= set(local)
    assert distributed == local


def test_public_examples_give_the_same_package_on_both_engines(spark: Any, small: Path, tmp_path: Path) -> None:
    """FHIR R4 core examples (tests/data/third_party) given to the generated trial's first subject: what only
    real-world input brings (SUPPMH, an unresolvable suspect entity in SUPPAE, medications named nowhere, listed as
    not mapped) comes out the same from Spark, byte for byte."""
    source = tmp_path / "nd"
    shutil.copytree(small, source)
    patient = json.loads((source / "Patient.ndjson").read_text().splitlines()[0])["id"]
    third_party = ROOT / "tests" / "data" / "third_party"
    names = ["fhir-r4-examples-more/*.json", "fhir-r4-examples/AdverseEvent-example.json",
             "fhir-r4-examples/Condition-example.json", "fhir-r4-examples/Observation-heart-rate.json"]  # fmt: skip
    for path in sorted(p for name in names for p in third_party.glob(name)):
        resource = json.loads(path.read_text(encoding="utf-8"))
        resource["id"] = f"r4-{resource['id']}"
        resource["subject"] = {"reference": f"Patient/{patient}"}
        with (source / f"{resource['resourceType']}.ndjson").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(resource) + "\n")
    local, distributed = _both_engines(source, tmp_path, "--no-strict")
    assert {"suppmh.xpt", "suppae.xpt", "vs.xpt"} <= set(local)
    assert distributed == local


@pytest.mark.slow
@pytest.mark.parametrize("version", ["R4", "R5"])
def test_2000_subjects_byte_identical(spark: Any, tmp_path: Path, version: str) -> None:
    source = ndjson(tmp_path / "nd", 2000, version, seed=2000)
    local, distributed = _both_engines(source, tmp_path)
    assert local["dm.xpt"].count(b"NCT05016804-") >= 2000  # USUBJID of every subject
    assert len(local) >= 20
    assert distributed == local


# --- validate --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three packages: NCT05016804 and XANAD01 written by to-sdtm, and the first with findings planted."""
    root = tmp_path_factory.mktemp("packages")
    found = []
    for study in (STUDY, "XANAD01"):
        records = root / f"records-{study}"
        assert cli("fixtures", "--study", study, "--subjects", "8", "-o", str(records)).exit_code == 0
        assert cli("to-sdtm", str(records), "-o", str(root / study), "--format", "xpt,json").exit_code == 0
        found.append(root / study)
    broken = root / "broken"
    broken.mkdir()
    for path in found[0].iterdir():
        if path.suffix == ".xpt":
            (broken / path.name).write_bytes(path.read_bytes())
    (broken / "ex.xpt").unlink()  # EX missing: findings about exposure and reference dates
    found.append(broken)
    return found


def test_validate_one_package_same_findings_in_the_same_order(spark: Any, packages: list[Path]) -> None:
    local = validate([packages[2]])
    [distributed] = validate_spark(spark, [PackageInput((str(packages[2]),))], slices=3)
    assert local.issues  # the planted problems are found
    assert distributed.issues == local.issues
    assert distributed.datasets == local.datasets
    assert distributed.spec == local.spec
    assert distributed.define == local.define


def test_validate_several_packages_at_once(spark: Any, packages: list[Path]) -> None:
    inputs = [PackageInput((str(p),)) for p in packages]
    distributed = validate_spark(spark, inputs)
    assert len(distributed) == 3
    for path, result in zip(packages, distributed, strict=True):
        local = validate([path])
        assert result.issues == local.issues
        assert result.accepted == local.accepted
        assert result.datasets == local.datasets
        assert result.spec == local.spec


def test_validate_cli_each_prints_the_same_reports(spark: Any, packages: list[Path]) -> None:
    paths = [str(p) for p in packages]
    local = cli("validate", "--each", *paths)
    distributed = cli("validate", "--each", *paths, "--engine", "spark", "--master", "local[2]")
    assert distributed.exit_code == local.exit_code
    assert distributed.output == local.output
    assert local.output.count("== ") == 3


def test_validate_cli_one_package_same_json_report(spark: Any, packages: list[Path], tmp_path: Path) -> None:
    local = cli("validate", str(packages[1]), "--format", "json", "-o", str(tmp_path / "local.json"))
    distributed = cli(
        "validate", str(packages[1]), "--format", "json", "-o", str(tmp_path / "spark.json"), "--engine", "spark"
    )
    assert local.exit_code == distributed.exit_code
    assert (tmp_path / "spark.json").read_bytes() == (tmp_path / "local.json").read_bytes()


def test_validate_unreadable_input_is_the_same_error(spark: Any, tmp_path: Path) -> None:
    (tmp_path / "dm.xpt").write_bytes(b"not an xport file" * 5)
    with pytest.raises(InputError) as on_one:
        validate([tmp_path])
    with pytest.raises(InputError) as on_spark:
        validate_spark(spark, [PackageInput((str(tmp_path),))])
    assert on_spark.value.issues == on_one.value.issues


def _plant(folder: Path, name: str, column: str, rows: list[int], value: object) -> None:
    """Set `column` to `value` in the given rows of folder/name.xpt, keeping its labels (pyreadstat rewrites it)."""
    path = folder / f"{name}.xpt"
    frame, meta = pyreadstat.read_xport(str(path))
    for row in rows:
        frame.loc[row, column] = value
    pyreadstat.write_xport(
        frame,
        str(path),
        file_label=meta.file_label,
        column_labels=[meta.column_names_to_labels.get(c) or "" for c in frame.columns],
        table_name=meta.table_name,
        file_format_version=5,
    )


@pytest.fixture(scope="module")
def seeded(packages: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The NCT05016804 package (8 subjects) with findings planted in several subject-level datasets, for several
    subjects: AGE <= 0 in DM, malformed AESTDTC in AE, QSSTRESC missing in QS."""
    folder = tmp_path_factory.mktemp("seeded")
    for path in packages[0].iterdir():
        if path.suffix == ".xpt":
            (folder / path.name).write_bytes(path.read_bytes())
    _plant(folder, "dm", "AGE", [1, 4, 6], 0)
    _plant(folder, "ae", "AESTDTC", [0, 3, 5], "2024-02-30")
    _plant(folder, "qs", "QSSTRESC", [2, 200, 400], "")
    return folder


def test_validate_seeded_subject_findings_same_json_report(spark: Any, seeded: Path, tmp_path: Path) -> None:
    local = validate([seeded])
    planted = [i for i in local.issues if i.rule in ("TI-DM001", "TI-DT001", "TI-FN004")]
    assert {i.rule for i in planted} == {"TI-DM001", "TI-DT001", "TI-FN004"}
    assert len({i.key.split(",")[0] for i in planted}) >= 5  # several subjects: several subject parts
    out_local, out_spark = tmp_path / "local.json", tmp_path / "spark.json"
    assert cli("validate", str(seeded), "--format", "json", "-o", str(out_local)).exit_code == 1
    args = ("--format", "json", "-o", str(out_spark), "--engine", "spark", "--master", "local[2]")
    assert cli("validate", str(seeded), *args).exit_code == 1
    assert out_spark.read_bytes() == out_local.read_bytes()
    [distributed] = validate_spark(spark, [PackageInput((str(seeded),))], slices=5)
    assert distributed.issues == local.issues


@pytest.mark.slow
def test_validate_the_cdisc_pilot_same_findings(spark: Any, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("pilot_to_xpt", ROOT / "scripts" / "pilot_to_xpt.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pilot = module.write_pilot(tmp_path / "pilot")[0].parent
    local = validate([pilot])
    [distributed] = validate_spark(spark, [PackageInput((str(pilot),))], slices=4)
    assert len(local.issues) > 1000
    assert distributed.issues == local.issues
    assert distributed.datasets == local.datasets
