"""One design file resolves once into one Design with one hash (issue 24, point 1).

* every surface shows the file's one hash: design, simulate, interim (and its
  inference block and audit record), report, and the app's path (a document);
* every field of a shipped design file moves the hash; layout, comments and
  defaults written out do not;
* one ``report`` with ``--compare`` compiles each design once and runs each
  Simon search once (before the redesign: 13 compilations and 7 searches).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import adaptive_pilot as ap
from adaptive_pilot.cli import main
from adaptive_pilot.errors import InputError
from adaptive_pilot.interim.audit import read_records
from adaptive_pilot.spec import DesignSpec, design_from_document, load_design

REPO = Path(__file__).resolve().parents[1]
DESIGNS = REPO / "designs"
MOTIVATING = DESIGNS / "motivating_trial.yaml"
PATIENTS = DESIGNS / "motivating_trial_synthetic_patients.csv"
SCENARIOS = REPO / "simulations" / "motivating_trial.yaml"


def _cli_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_one_file_one_hash_on_every_surface(tmp_path, capsys):
    resolved = load_design(MOTIVATING)
    digest = resolved.design_hash()
    assert len(digest) == 16
    # the engine objects carry it
    assert resolved.design.design_hash == digest
    assert all(c.design.design_hash == digest for c in resolved.cohorts)
    assert resolved.evaluate().provenance.design_hash == digest
    assert resolved.evaluate().oc.provenance.design_hash == digest
    assert resolved.trial().design_hash() == digest
    assert resolved.trial("hierarchical").design_hash() == digest
    assert resolved.interim_plan().design_hash() == digest
    assert resolved.interim_plan("exnex").design_hash() == digest
    # ... but the simulator's caches tell the analyses apart
    assert resolved.trial().content_hash() != resolved.trial("hierarchical").content_hash()
    # the app's Design page resolves the parsed document: the same hash
    document = yaml.safe_load(MOTIVATING.read_text())
    assert design_from_document(document).design_hash() == digest
    # every command
    design = _cli_json(["design", str(MOTIVATING)], capsys)
    assert design["provenance"]["design_hash"] == digest
    sim = _cli_json(
        ["simulate", str(MOTIVATING), "--scenarios", str(SCENARIOS), "--n-trials", "50",
         "--no-progress"],
        capsys,
    )  # fmt: skip
    assert sim["provenance"]["design_hash"] == digest
    audit = tmp_path / "audit.sqlite"
    interim = _cli_json(
        ["interim", str(MOTIVATING), "--data", str(PATIENTS), "--as-of", "2026-06-30",
         "--audit", str(audit), "--analyst", "A. Statistician"],
        capsys,
    )  # fmt: skip
    assert interim["provenance"]["design_hash"] == digest
    assert interim["inference"], "the shipped data end at least one cohort"
    # the closed report's inference block (the exact inference of each ended cohort)
    from adaptive_pilot.dsmb.run import run_interim

    result = run_interim(MOTIVATING, data=PATIENTS, as_of=dt.date(2026, 6, 30))
    assert {i.provenance.design_hash for i in result.inference.values()} == {digest}
    (record,) = read_records(audit)
    assert record.design_hash == digest
    assert main(["report", str(MOTIVATING), "--format", "csv", "--out", str(tmp_path / "r")]) == 0
    capsys.readouterr()
    report = ap.report(MOTIVATING)
    assert report.provenance.design_hash == digest


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, (*path, i))
    else:
        yield path, value


def _changed(value: Any) -> list[Any]:
    """Candidate new values of a leaf (different from it)."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        candidates = [value + 1, value - 1, value * 2]
    elif isinstance(value, float):
        candidates = [round(value * 0.97, 6), round(value * 1.03, 6), round(value + 0.01, 6)]
    elif isinstance(value, str):
        alternatives = {"optimal": "minimax", "clinfun": "inclusive", "prevalence": "fixed",
                        "analyse": "no_go", "independent": "hierarchical",
                        "hierarchical": "exnex", "joint": "per_cohort",
                        "all_nulls": "global_null", "obrien-fleming": "power"}  # fmt: skip
        candidates = [alternatives.get(value, value + " (changed)")]
    else:
        candidates = []
    return [c for c in candidates if c != value]


def _get(document: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        document = document[key]
    return document


def _set(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    _get(changed, path[:-1])[path[-1]] = value
    return changed


def _deleted(document: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    del _get(changed, path[:-1])[path[-1]]
    return changed


def _candidates(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> list[Any]:
    """Changed documents: the leaf alone, then changes that keep a coupled file valid."""
    out = [_set(document, path, new) for new in _changed(value)]
    looks = document.get("looks")
    last_look = isinstance(looks, list) and path == ("looks", len(looks) - 1)
    if isinstance(looks, list) and (path == ("n_max",) or last_look):  # N is the last look
        both = _set(document, ("n_max",), looks[-1] + 2)
        out.append(_set(both, ("looks", len(looks) - 1), looks[-1] + 2))
    if path == ("rule", "type"):  # another family, with its parameters
        other = (
            {"type": "bop2", "lambda": 0.8, "gamma": 1.0}
            if value != "bop2"
            else {"type": "posterior", "theta_final": 0.95, "theta_futility": 0.1}
        )
        other_family = _set(document, ("rule",), other)
        other_family.pop("calibration", None)  # grids of the old family's thresholds
        other_family.setdefault("n_max", 30)  # a Simon file has none
        out.append(other_family)
    if path == ("accrual", "allocation") and value == "prevalence":  # weights instead
        fixed = _set(document, path, "fixed")
        for cohort in fixed["cohorts"]:
            cohort["allocation"] = cohort.pop("prevalence")
        out.append(fixed)
    if path[0] == "cohorts" and path[-1] == "prevalence":  # shares still sum to 1
        i, n = path[1], len(document["cohorts"])
        moved = _set(document, path, round(value + 0.05, 6))
        j = (i + 1) % n
        out.append(_set(moved, ("cohorts", j, "prevalence"),
                        round(document["cohorts"][j]["prevalence"] - 0.05, 6)))  # fmt: skip
    out.append(_deleted(document, path))  # an optional field left out (its default)
    return out


def _read(path: Path) -> dict[str, Any]:
    if path.suffix == ".toml":
        import tomllib

        return tomllib.loads(path.read_text())
    return yaml.safe_load(path.read_text())


def _normal(document: dict[str, Any]) -> dict[str, Any]:
    """The validated document with defaults filled in."""
    return DesignSpec.model_validate(document).model_dump(mode="json", by_alias=True)


def _hash(document: dict[str, Any]) -> str | None:
    try:
        resolved = design_from_document(document)
        resolved.design_hash()
        return resolved.design_hash()
    except InputError:
        return None


@pytest.mark.parametrize(
    "name",
    ["motivating_trial.yaml", "bop2_example.yaml", "lee_liu_example.yaml",
     "simon_example.toml", "basket_4x20.yaml"],
)  # fmt: skip
def test_every_field_of_a_shipped_design_moves_the_hash(name):
    document = _read(DESIGNS / name)
    before, normal = _hash(document), _normal(document)
    assert before is not None
    unchanged, untried = [], []
    for path, value in _leaves(document):
        for candidate in _candidates(document, path, value):
            after = _hash(candidate)
            if after is not None and _normal(candidate) != normal:  # a change that resolves
                if after == before:
                    unchanged.append(path)
                break
        else:
            untried.append(path)
    assert not unchanged, f"the hash ignores {unchanged}"
    # each field was changed to a value that still resolves
    assert not untried, f"no valid change tried for {untried}"


def test_p1_moves_the_hash_and_layout_does_not(tmp_path):
    text = MOTIVATING.read_text()
    base = load_design(MOTIVATING).design_hash()
    moved = tmp_path / "p1.yaml"
    moved.write_text(text.replace("p1: 0.20", "p1: 0.30"))
    assert load_design(moved).design_hash() != base
    relaid = tmp_path / "relaid.yaml"
    relaid.write_text("# a comment\n" + text.replace("p1: 0.20", "p1: 0.2   # same value"))
    assert load_design(relaid).design_hash() == base
    explicit = tmp_path / "defaults.yaml"  # a default written out is the same design
    explicit.write_text(text.replace("rule:\n  type: bop2", "rule:\n  type: bop2\n  eta: null"))
    assert load_design(explicit).design_hash() == base


def _count_calls(monkeypatch: pytest.MonkeyPatch, module: str, name: str) -> list[int]:
    """Wrap ``module.name`` wherever the package holds it; return the call counter."""
    import importlib

    original = getattr(importlib.import_module(module), name)
    calls = [0]

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    for mod_name, mod in list(sys.modules.items()):
        if mod_name.startswith("adaptive_pilot") and getattr(mod, name, None) is original:
            monkeypatch.setattr(mod, name, counted)
    return calls


def _counted(monkeypatch: pytest.MonkeyPatch) -> tuple[list[int], list[int]]:
    import adaptive_pilot.designs.bayesian
    import adaptive_pilot.designs.simon
    import adaptive_pilot.reports.build  # noqa: F401 - load every holder of the two names

    compiles = _count_calls(monkeypatch, "adaptive_pilot.rules.compile", "compile_rules")
    searches = _count_calls(monkeypatch, "adaptive_pilot.designs.simon", "simon_designs")
    return compiles, searches


def test_report_with_compare_compiles_each_design_once(tmp_path, monkeypatch, capsys):
    compiles, searches = _counted(monkeypatch)
    args = ["report", str(DESIGNS / "bop2_example.yaml"), "--compare",
            str(DESIGNS / "simon_example.toml"), str(DESIGNS / "lee_liu_example.yaml"),
            "--format", "html,csv", "--out", str(tmp_path / "out")]  # fmt: skip
    assert main(args) == 0, capsys.readouterr().err
    # BOP2 and Lee & Liu compiled once each, BOP2 under the 7 alternative priors of its
    # prior-sensitivity section; the Simon search run once
    assert (compiles[0], searches[0]) == (2 + 7, 1)


def test_a_trial_of_cohorts_sharing_a_rule_compiles_it_once(monkeypatch):
    compiles, _ = _counted(monkeypatch)
    resolved = load_design(MOTIVATING)
    resolved.evaluate()
    resolved.trial()
    resolved.trial("hierarchical")
    resolved.interim_plan()
    assert compiles[0] == 1 and len(resolved.cohorts) == 4


def test_report_p_grid_without_p0_works(tmp_path, capsys):
    out = tmp_path / "bop2"
    args = ["report", str(DESIGNS / "bop2_example.yaml"), "--p", "0.3,0.5", "--format", "csv",
            "--out", str(out)]  # fmt: skip
    assert main(args) == 0, capsys.readouterr().err
    oc = next((out / "tables").glob("table*_exact_operating_characteristics_by_true.csv"))
    oc = oc.read_text()
    assert [line.split(",")[0] for line in oc.splitlines()[1:]] == ["0.2", "0.3", "0.4", "0.5"]


def test_calibrate_shows_the_hash_of_the_file_it_writes(tmp_path, capsys):
    written = tmp_path / "calibrated.yaml"
    calibration = _cli_json(
        ["calibrate", str(DESIGNS / "lee_liu_example.yaml"), "--top", "1", "--write",
         str(written)],
        capsys,
    )  # fmt: skip
    design = _cli_json(["design", str(written)], capsys)
    assert calibration["provenance"]["design_hash"] == design["provenance"]["design_hash"]
    assert design["provenance"]["design_hash"] == load_design(written).design_hash()
