"""Design files: the shipped ones, the schema and one-line errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from adaptive_pilot import InputError, exact_oc
from adaptive_pilot.spec import json_schema, load_design
from endpoint_designs import small_outcome

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted((REPO / "designs").glob("*.y*ml")) + sorted((REPO / "designs").glob("*.toml"))

BASE = """\
hypotheses: {p0: 0.2, p1: 0.4}
prior: {a: 0.2, b: 0.8}
n_max: 30
looks: [10, 20, 30]
rule:
  type: bop2
  lambda: 0.8
  gamma: 1.0
"""


def write(tmp_path, text, name="design.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_designs_compile_and_meet_their_targets(path):
    resolved = load_design(path)
    errors = resolved.spec.errors
    if resolved.is_time_to_event:  # OC simulated: the file's comment gives the full run
        from adaptive_pilot.simulation.survival_monitoring import simulate_survival_monitoring

        assert len(resolved.survival_summary().to_frame()) > 0
        cohorts, accrual = resolved.survival_trial()
        goal, target = (
            dataclasses.replace(s, models=s.models[:1]) for s in resolved.survival_scenarios()[:2]
        )
        result = simulate_survival_monitoring(
            cohorts[:1], accrual, [goal, target], 300, 1, imputations=50, progress=False
        )
        name = cohorts[0].name
        assert result.estimate("goal", name, "p_go")[0] < 0.15
        assert result.estimate("target", name, "p_go")[0] > 0.6
        return
    if resolved.is_multi_endpoint:  # every null scenario, every alternative
        oc = resolved.evaluate_endpoints().oc
        nulls, _ = resolved.endpoint_scenarios()
        assert oc.p_go[: len(nulls)].max() <= errors.alpha + 1e-12
        assert oc.p_go[len(nulls) :].min() >= 1 - errors.beta - 1e-12
        return
    table = resolved.boundary_table()
    hyp = resolved.spec.hypotheses
    oc = exact_oc(table, [hyp.p0, hyp.p1])
    assert oc.p_go[0] <= errors.alpha + 1e-12
    if table.three_outcomes:  # Go / Consider / No-Go: beta bounds the false NO-GO at p1
        assert oc.p_nogo[1] <= errors.beta + 1e-12
    else:
        assert oc.p_go[1] >= 1 - errors.beta - 1e-12


def test_motivating_trial_file():
    resolved = load_design(REPO / "designs" / "motivating_trial.yaml")
    spec = resolved.spec
    assert (spec.hypotheses.p0, spec.hypotheses.p1) == (0.05, 0.20)
    assert spec.endpoint.name == "ORR" and "RECIST 1.1" in spec.endpoint.definition
    assert resolved.design.toxicity is not None


def test_calibrated_values_in_shipped_files_are_what_calibration_chooses():
    for name in (
        "motivating_trial.yaml",
        "bop2_example.yaml",
        "go_consider_nogo.yaml",
        "g12c_crc_map_gng.yaml",
    ):
        resolved = load_design(REPO / "designs" / name)
        chosen = resolved.calibrate().design
        assert chosen.boundary_table == resolved.boundary_table(), name
    resolved = load_design(REPO / "designs" / "motivating_trial_endpoints.yaml")
    chosen = resolved.calibrate().design
    assert chosen.bounds == resolved.endpoint_design.bounds


def test_toml_and_yaml_describe_the_same_design(tmp_path):
    toml = write(
        tmp_path,
        "[hypotheses]\np0 = 0.2\np1 = 0.4\n[prior]\na = 0.2\nb = 0.8\nn_max = 30\n",
        "design.toml",
    )
    # n_max after a table belongs to [prior] in TOML: rejected with the key named.
    with pytest.raises(InputError, match="unknown key 'n_max'"):
        load_design(toml)
    toml.write_text(
        "n_max = 30\nlooks = [10, 20, 30]\n[hypotheses]\np0 = 0.2\np1 = 0.4\n"
        '[prior]\na = 0.2\nb = 0.8\n[rule]\ntype = "bop2"\nlambda = 0.8\ngamma = 1.0\n'
    )
    yaml_path = write(tmp_path, BASE)
    assert load_design(toml).boundary_table() == load_design(yaml_path).boundary_table()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            BASE.replace("  gamma: 1.0", "  gama: 1.0"),
            ":8: rule.gama: unknown key 'gama'; did you mean 'gamma'?",
        ),
        (
            BASE.replace("n_max: 30", "n_maxx: 30"),
            ":3: n_maxx: unknown key 'n_maxx'; did you mean 'n_max'?",
        ),
        (BASE.replace("prior: {a: 0.2, b: 0.8}", "prior: {a: 0.2, bb: 0.8}"), "did you mean 'b'?"),
        (BASE.replace("type: bop2", "type: bopp2"), "unknown rule type 'bopp2'"),
        (BASE.replace("type: bop2", "tipe: bop2"), "rule.type: is required; allowed: simon,"),
        (
            BASE.replace("lambda: 0.8", "lambda: 1.4"),
            "rule.lambda: must be less than 1 (got 1.4)",
        ),
        (
            BASE.replace("prior: {a: 0.2, b: 0.8}", "prior: {a: -1, b: 0.8}"),
            "prior.a: must be greater than 0 (got -1)",
        ),
        (BASE.replace("p1: 0.4", "p1: 0.1"), "p1 must be greater than p0"),
        (
            BASE.replace("looks: [10, 20, 30]", "looks: [10, 20, 40]"),
            "beyond the maximum sample size N = 30",
        ),
        (BASE.replace("rule:", "rule:\n  colour: red"), "unknown key 'colour'"),
        ("hypotheses: [\n", "is not valid YAML"),
        ("- 1\n- 2\n", "must be a mapping"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path, text, fragment):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as raised:
        load_design(path).boundary_table()
    message = str(raised.value)
    assert fragment in message, message
    assert "\n" not in message


def test_rule_that_can_never_stop(tmp_path):
    text = BASE.replace(
        "type: bop2\n  lambda: 0.8\n  gamma: 1.0",
        "type: predictive\n  theta_t: 0.9\n  theta_l: 0.000000001",
    )
    with pytest.raises(InputError, match="can never stop early"):
        load_design(write(tmp_path, text)).boundary_table()


def test_missing_thresholds_point_to_calibrate(tmp_path):
    text = BASE.replace("  lambda: 0.8\n  gamma: 1.0\n", "") + (
        "calibration:\n  bop2:\n    lambda: [0.7, 0.8]\n    gamma: [1.0]\n"
    )
    with pytest.raises(InputError, match="calibrate"):
        load_design(write(tmp_path, text)).boundary_table()


def test_bad_toml_and_suffix(tmp_path):
    with pytest.raises(InputError, match="not valid TOML"):
        load_design(write(tmp_path, "[hypotheses\n", "design.toml"))
    with pytest.raises(InputError, match=r"\.yaml, \.yml or \.toml"):
        load_design(write(tmp_path, "{}", "design.json"))


def test_schema_exports_and_forbids_extra_keys():
    schema = json_schema()
    assert schema["additionalProperties"] is False
    assert {"hypotheses", "rule", "looks", "toxicity", "calibration"} <= set(schema["properties"])


# ------------------------------------------------ writing a changed design file back
def _comment_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


@pytest.mark.parametrize(
    "name", ["motivating_trial.yaml", "bop2_example.yaml", "simon_example.toml"]
)
def test_a_changed_design_file_keeps_every_comment_and_only_its_changed_lines(name, tmp_path):
    from adaptive_pilot.app.form import apply_form, form_values
    from adaptive_pilot.spec.reading import read_document
    from adaptive_pilot.spec.writing import document_text

    source = REPO / "designs" / name
    original = source.read_text()
    document, _ = read_document(source, "design file")
    values = form_values(document)
    values["p0"] = 0.07
    changed = apply_form(document, values)
    text = document_text(changed, original, source.suffix)
    assert _comment_lines(text) == _comment_lines(original)
    copy = tmp_path / name
    copy.write_text(text)
    assert read_document(copy, "design file")[0] == changed
    before, after = original.splitlines(), text.splitlines()
    assert len(before) == len(after)  # one value edited in place, nothing re-wrapped
    differing = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(differing) == 1 and "0.07" in differing[0][1]
    # unchanged, the file comes back byte for byte
    assert document_text(document, original, source.suffix) == original


def test_keys_removed_and_added_and_no_original_are_written_plainly(tmp_path):
    from adaptive_pilot.spec.writing import document_text

    original = "# why\nname: a  # the name\nold: 1\nnested:\n  # inner\n  x: 1\n"
    text = document_text({"name": "a", "nested": {"x": 2, "y": [1, 2]}, "new": "b"}, original)
    assert "# why" in text and "# the name" in text and "# inner" in text
    assert "old" not in text and "new: b" in text and "x: 2" in text
    plain = document_text({"name": "a"}, None, ".toml", header="# made here\n")
    assert plain.startswith("# made here\n") and 'name = "a"' in plain


def test_calibrate_write_keeps_the_source_files_comments(tmp_path, capsys):
    from adaptive_pilot.cli import main

    source = REPO / "designs" / "bop2_example.yaml"
    out = tmp_path / "calibrated.yaml"
    assert main(["calibrate", str(source), "--write", str(out), "--format", "json"]) == 0
    assert _comment_lines(out.read_text()) == _comment_lines(source.read_text())


OUTCOME = small_outcome()


def test_an_outcome_file_resolves_to_the_multi_endpoint_design(tmp_path):
    resolved = load_design(write(tmp_path, OUTCOME))
    design = resolved.endpoint_design
    assert resolved.is_multi_endpoint and design.rule.require == "any"
    assert [e.threshold for e in design.rule.endpoints] == [0.1, 0.35]  # from the null
    assert design.rule.prior.concentration == (0.1, 0.25, 0.65)  # BOP2's default prior
    evaluation = resolved.evaluate_endpoints()
    assert list(evaluation.to_frame()["scenario"]) == ["null", "alternative"]
    assert evaluation.provenance.design_hash == resolved.design_hash()
    with pytest.raises(InputError, match="outcome: a design with several endpoints"):
        resolved.design  # noqa: B018 - the binary surfaces refuse in one line


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (("n_max: 30", "hypotheses: {p0: 0.1, p1: 0.3}\nn_max: 30"), "leave out hypotheses"),
        (("  nulls: {OR: 0.1, SD: 0.25, PD: 0.65}", "  nulls: {OR: 0.1, SD: 0.25, PD: 0.6}"),
         "sum to 0.95"),
        (("  nulls: {OR: 0.1, SD: 0.25, PD: 0.65}", "  nulls: {OR: 0.1, SD: 0.9}"),
         "has no probability for 'PD'"),
        (("    DCR: {categories: [OR, SD]}", "    DCR: {categories: [OR, CR]}"),
         "'CR', which is not one of the categories"),
        (("n_max: 30", "require: ORR and toxicity\nn_max: 30"), "outcome"),
        (("rule: {type: bop2, lambda: 0.8, gamma: 1.0}",
          "rule: {type: posterior, theta_final: 0.9}"), "rule type bop2"),
        (("n_max: 30", "prior: {a: 1, b: 2}\nn_max: 30"), "outcome.prior"),
        (("  nulls:", "  require: ORR and tox\n  nulls:"), "not an endpoint"),
        (("lambda: 0.8", "lambda: 0.01"), "never"),
    ],
)  # fmt: skip
def test_bad_outcome_files_give_one_line_errors(tmp_path, change, fragment):
    text = OUTCOME.replace(*change)
    assert text != OUTCOME
    with pytest.raises(InputError) as info:
        resolved = load_design(write(tmp_path, text))
        resolved.endpoint_design  # noqa: B018
    message = str(info.value)
    assert "\n" not in message and fragment in message, message
