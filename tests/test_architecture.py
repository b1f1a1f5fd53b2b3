"""The package's shape: no import cycle, layers, one results contract, one glossary, the API."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import adaptive_pilot as ap
from adaptive_pilot.glossary import GLOSSARY, is_glossary_name
from adaptive_pilot.inference import stagewise_inference
from adaptive_pilot.results import Result, Summary, Table

PACKAGE = Path(ap.__file__).parent
REPO = Path(__file__).resolve().parents[1]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Package modules imported by a file (module level and inside functions, not TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.startswith("adaptive_pilot"):
                found.add(target)
                found |= {f"{target}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("adaptive_pilot")}
    return found


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        edges = {t for t in _imports(path) if t in files and t != name}
        if name != "adaptive_pilot":  # importing a submodule runs its parent packages
            parent = name.rsplit(".", 1)[0]
            if parent != "adaptive_pilot" and not name.endswith("__init__"):
                edges.add(parent)
        graph[name] = edges - {name}
    return graph


def test_no_import_cycle_in_the_package():
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    # a package __init__ importing its own submodules is not a cycle of concern
    real = [c for c in cycles if not all(m.startswith(c[0]) for m in c)]
    assert not real, f"import cycles: {real}"


#: The layers, from the bottom (ARCHITECTURE.md): a package imports only packages in
#: layers below its own. Packages in one layer do not import each other.
LAYERS: list[set[str]] = [
    # numerics and the boundary table, in four steps
    {"errors", "_limits", "glossary", "_lazy"},
    {"_validate", "_files", "_grid", "_binomial", "_lattice", "provenance", "priors",
     "kaplan_meier", "_gamma_sum"},
    {"results", "ess", "conflict"},
    {"boundary_table", "prior_information"},
    {"rules"},  # stopping rules and the one compile path
    {"oc", "inference"},  # functions of a table: exact OC, exact inference
    {"designs"},  # single-cohort designs: Design, Simon, calibration
    {"cohorts"},  # borrowing models, multi-cohort trials, the interim plan
    {"simulation", "patients", "meta_analytic"},  # Monte Carlo engine; patient data in; MAP priors
    {"spec"},  # design and scenario files resolved into the objects above
    {"interim", "sensitivity"},  # the DSMB call and its audit trail; prior sensitivity
    {"figures"},  # drawings of what results carry
    {"reports"},  # protocol and interim reports
    {"dsmb"},  # the interim call end to end: read, decide, record, report
    {"demo"},  # surfaces: the demo, the web app, the command line
    {"validation"},  # the installation's validation: reference numbers and cross-checks
    {"app"},
    {"cli"},
]  # fmt: skip

#: Imports allowed across layers for one minor version (deprecated shims).
DEPRECATED_UPWARD = {
    # BoundaryTable.inference(), removed in 0.3.0, imports stagewise_inference when called
    ("adaptive_pilot.boundary_table", "adaptive_pilot.inference"),
}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_package_has_a_layer():
    placed = set().union(*LAYERS)
    packages = {_package(m) for m in _graph()} - {""}
    assert packages == placed, (packages - placed, placed - packages)


def test_packages_import_only_layers_below_their_own():
    layer = {name: k for k, names in enumerate(LAYERS) for name in names}
    wrong = []
    for module, edges in _graph().items():
        source = _package(module)
        if not source:  # the package's lazy facade (adaptive_pilot/__init__.py)
            continue
        for target in edges:
            other = _package(target)
            if not other or other == source or (module, target) in DEPRECATED_UPWARD:
                continue
            if layer[other] >= layer[source]:
                wrong.append(f"{module} -> {target}")
    assert not wrong, "imports across layers, upward or sideways:\n" + "\n".join(sorted(wrong))


def test_figures_draw_what_results_carry():
    """The closed report's figures compute no statistics of their own."""
    source = (PACKAGE / "figures" / "interim.py").read_text()
    for computation in ("predictive_outcomes(", "go_probabilities(", "prob_greater("):
        assert computation not in source, computation


def test_public_api_matches_all_and_the_docs():
    """Every public name is shown at work in the documentation's pages, which name no
    other; the API reference page is generated from the same list."""
    exported = set(ap.__all__) - {"__version__"}
    for name in exported:
        assert getattr(ap, name) is not None
    pages = " ".join(p.read_text() for p in (REPO / "docs").rglob("*.md"))
    documented = set(re.findall(r"\bap\.([A-Za-z]\w*)", pages))
    assert documented <= exported | {"__version__"}, documented - exported
    assert exported <= documented, f"public names not in the documentation: {exported - documented}"
    assert set(ap._EXPORTS) == exported
    # the API reference page lists every public name, from the module exporting it, once
    page = (REPO / "docs" / "reference" / "api.md").read_text()
    listed = re.findall(r"^::: adaptive_pilot\.(\S+)\.(\w+)$", page, flags=re.MULTILINE)
    assert sorted(listed) == sorted((module, name) for name, module in ap._EXPORTS.items())


def test_every_python_example_in_the_docs_runs_when_the_site_is_built():
    """A Python block on the site is executed by the build (markdown-exec), so a stale
    example fails `make docs`; the nav lists every page."""
    pages = sorted((REPO / "docs").rglob("*.md"))
    for page in pages:
        for fence in re.findall(r"^```python[^\n]*$", page.read_text(), flags=re.MULTILINE):
            assert 'exec="on"' in fence, (page.name, fence)
    nav = (REPO / "mkdocs.yml").read_text()
    for page in pages:
        assert str(page.relative_to(REPO / "docs")) in nav, page


def test_the_readme_is_short_and_points_to_the_docs():
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    for target in re.findall(r"\]\(((?:docs/|[A-Z]+\.md)[^)#]*)\)", readme):
        assert (REPO / target).exists(), target
    assert "make demo" in readme and "make test" in readme and "make docs" in readme


def test_import_is_lazy_and_help_loads_no_numerics():
    """--help and --version answer at once: they load neither numpy nor pandas.

    (How long --help takes is measured in benchmarks/run.py --only exact.)
    """
    code = "import sys, adaptive_pilot; print('numpy' in sys.modules, 'pandas' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["False", "False"]
    code = (
        "import sys\nfrom adaptive_pilot.cli import main\ntry:\n    main(['--help'])\n"
        "except SystemExit:\n    pass\nprint('numpy' in sys.modules, 'pandas' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split()[-2:] == ["False", "False"]


def test_simulation_workers_start_without_pandas():
    # a worker imports the runner to run its chunks; pandas (0.25 s) is only for results
    code = "import sys, adaptive_pilot.simulation.runner; print('pandas' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False"]


# ----------------------------------------------------------- results contract
def _results() -> list[object]:
    search = ap.simon_designs(0.1, 0.3)
    table = search.optimal.boundary_table()
    tox = ap.ToxicityRule(0.3, 0.9, ap.BetaPrior(0.3, 0.7), (10, 20, 29))
    resolved = ap.load_design(REPO / "designs" / "motivating_trial.yaml")
    trial = resolved.trial()
    null = ap.Scenario("null", np.full(4, 0.05), np.full(4, 0.15))
    model = ap.HierarchicalModel(ap.HierarchicalPrior(-2.0), [-2.0])
    return [
        search,
        ap.exact_oc(table, [0.1, 0.3]),
        ap.joint_oc(table, tox, [0.1, 0.3], [0.2, 0.2]),
        ap.calibrate_bop2(
            0.2,
            0.4,
            0.1,
            ap.BetaPrior(0.2, 0.8),
            looks=(10, 20, 30, 40),
            lam=ap.grid(0.6, 0.95, 0.05),
            gamma=ap.grid(0.5, 2.0, 0.5),
        ),
        model.posterior([20, 20], [3, 6], 1 / (1 + np.exp(2.0))),
        ap.simulate(trial, [null], n_trials=500, seed=3, chunk_size=250),
        resolved.evaluate(),
        ap.toxicity_boundary(0.2, 0.35, [20, 40, 60, 75]),
        stagewise_inference(table, 29, 6, p0=0.1),
        _interim(resolved),
        _borrowing_calibration(),
        _prior_information(),
        _map_prior(),
        ap.bayesian_oc(table, ap.BetaPrior(2, 8), 0.1, 0.3),
        _sensitivity(),
        _tau_sensitivity(),
        _endpoint_oc(),
        _endpoint_calibration(),
        ap.load_design(REPO / "designs" / "motivating_trial_endpoints.yaml").evaluate_endpoints(),
        _endpoint_interim(),
        _endpoint_simulation(),
        _endpoint_sensitivity(),
        *_time_to_event(),
        ap.validate(only=["lee_liu_2008", "simon_1989_oc"]),
    ]


def _time_to_event():
    import datetime as dt

    from adaptive_pilot.dsmb.run import run_interim
    from adaptive_pilot.simulation.survival_monitoring import simulate_survival_monitoring

    resolved = ap.load_design(REPO / "designs" / "motivating_trial_pfs.yaml")
    cohorts, accrual = resolved.survival_trial()
    scenarios = resolved.survival_scenarios()[:1]
    simulated = simulate_survival_monitoring(
        cohorts, accrual, scenarios, 50, 1, imputations=20, progress=False
    )
    call = run_interim(
        resolved, data=REPO / "designs" / "motivating_trial_synthetic_patients.csv",
        as_of=dt.date(2026, 6, 30),
    )  # fmt: skip
    from adaptive_pilot.simulation.survival_calibration import calibrate_survival

    calibration = calibrate_survival(
        cohorts[:1], accrual, *(dataclasses.replace(s, models=s.models[:1])
                                for s in resolved.survival_scenarios()[:2]),
        (0.8, 0.9), alpha=0.1, beta=0.2, n_trials=100, seed=1, imputations=10, progress=False,
    )  # fmt: skip
    return [resolved.survival_summary(), simulated, call, calibration]


def _endpoint_sensitivity():
    from adaptive_pilot.designs.endpoint_sensitivity import endpoint_prior_sensitivity

    resolved = ap.load_design(REPO / "designs" / "motivating_trial_endpoints.yaml")
    nulls, alternatives = resolved.endpoint_scenarios()
    return endpoint_prior_sensitivity(resolved.endpoint_design, {**nulls, **alternatives})


def _endpoint_simulation():
    from adaptive_pilot.simulation.endpoints import simulate_endpoints

    resolved = ap.load_design(REPO / "designs" / "motivating_trial_endpoints.yaml")
    cohorts, accrual = resolved.endpoint_trial()
    scenarios = resolved.endpoint_design_scenarios()[-1:]
    return simulate_endpoints(cohorts, accrual, scenarios, 200, 1, progress=False)


def _endpoint_interim():
    import datetime as dt

    from adaptive_pilot.dsmb.run import run_interim

    return run_interim(
        REPO / "designs" / "motivating_trial_endpoints.yaml",
        data=REPO / "designs" / "motivating_trial_synthetic_patients.csv",
        as_of=dt.date(2026, 6, 30),
    )


def _endpoint_rule():
    from adaptive_pilot.priors import DirichletPrior
    from adaptive_pilot.rules.endpoints import Endpoint, MultiEndpointRule

    prior = DirichletPrior(("CR/PR", "SD", "PD"), (0.1, 0.25, 0.65))
    endpoints = (Endpoint("ORR", ("CR/PR",), 0.1), Endpoint("DCR", ("CR/PR", "SD"), 0.35))
    return MultiEndpointRule(prior, endpoints, "any", 30, 0.8, 1.0)


def _endpoint_oc():
    from adaptive_pilot.designs.multi_endpoint import MultiEndpointDesign

    design = MultiEndpointDesign(_endpoint_rule(), (15, 30))
    return design.oc({"null": (0.1, 0.25, 0.65), "target": (0.25, 0.3, 0.45)})


def _endpoint_calibration():
    from adaptive_pilot.designs.endpoint_calibration import calibrate_endpoints

    return calibrate_endpoints(
        _endpoint_rule(), looks=(15, 30), null=(0.1, 0.25, 0.65), alternative=(0.25, 0.3, 0.45),
        alpha=0.1, lam=(0.7, 0.8, 0.9), gamma=(0.5, 1.0),
    )  # fmt: skip


def _sensitivity():
    from adaptive_pilot.sensitivity import sensitivity

    return sensitivity(ap.load_design(REPO / "designs" / "bop2_example.yaml"))


def _tau_sensitivity():
    from adaptive_pilot.sensitivity import tau_sensitivity

    resolved = ap.load_design(REPO / "designs" / "motivating_trial.yaml")
    scenarios = str(REPO / "simulations" / "motivating_trial.yaml")
    return tau_sensitivity(resolved, scenarios, n_trials=200, seed=3, analysis="hierarchical",
                           factors=(0.5, 1.0))  # fmt: skip


def _map_prior():
    studies = [{"name": "A", "n": 20, "x": 4}, {"name": "B", "n": 30, "x": 9}]
    return ap.map_prior(studies, tau_sd=0.5, components=(1, 2))


def _prior_information():
    from adaptive_pilot.prior_information import describe_prior

    return describe_prior(ap.BetaPrior(3, 12), robust_weight=0.2)


def _borrowing_calibration():
    from adaptive_pilot.simulation.calibration import calibrate_borrowing
    from adaptive_pilot.spec import design_from_document

    document = {
        "name": "two",
        "hypotheses": {"p0": 0.1, "p1": 0.35},
        "prior": {"a": 0.1, "b": 0.9},
        "n_max": 12,
        "looks": [6, 12],
        "rule": {"type": "bop2", "lambda": 0.8, "gamma": 1.0},
        "cohorts": [{"name": "A", "prevalence": 0.5}, {"name": "B", "prevalence": 0.5}],
        "accrual": {"rate": 4, "assessment_delay": 1},
        "borrowing": {"model": "hierarchical", "futility": 0.1, "go": 0.9},
    }
    trial = design_from_document(document).trial()
    return calibrate_borrowing(
        trial, [0.35, 0.35], go_grid=[0.8, 0.9, 0.95], futility_grid=[0.0, 0.1],
        n_trials=200, seed=5, chunk_size=100, progress=False,
    )  # fmt: skip


def _result_types() -> set[type]:
    """Every result type in the package: the classes built on ResultMixin (found, not listed)."""
    import importlib
    import inspect
    import pkgutil

    from adaptive_pilot.results import ResultMixin

    found = set()
    for info in pkgutil.walk_packages(ap.__path__, "adaptive_pilot."):
        if info.name.endswith("__main__"):  # runs the command line when imported
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, ResultMixin):
                found.add(cls)
    return found - {ResultMixin}


def _interim(resolved):
    import datetime as dt

    plan = resolved.interim_plan()
    data = ap.read_patients(
        REPO / "designs" / "motivating_trial_synthetic_patients.csv",
        cohorts=plan.cohort_names,
        today=dt.date(2026, 11, 21),
        as_of_given=True,
    )
    return ap.interim_analysis(plan, data, as_of=dt.date(2026, 6, 30))


RESULTS = _results()
PROVENANCE_KEYS = {
    "package", "version", "commit", "method", "design_hash", "seed", "n_trials", "created_utc",
    "details"
}  # fmt: skip


def test_every_result_type_is_checked():
    types = _result_types()
    assert len(types) >= 11
    missing = {t.__qualname__ for t in types} - {type(r).__qualname__ for r in RESULTS}
    assert not missing, f"result types the contract test does not build: {missing}"


#: JSON sections that echo an input file in its own keys (a scenario file's), so that
#: they can be pasted back; every other list of records holds results
INPUT_ECHOES = {"scenarios"}


def _unknown(names) -> set[str]:
    return {str(n) for n in names if not is_glossary_name(str(n))}


@pytest.mark.parametrize("result", RESULTS, ids=lambda r: type(r).__name__)
def test_every_result_follows_the_contract(result):
    assert isinstance(result, Result)
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    unknown = _unknown(frame.columns)
    assert not unknown, f"columns outside the glossary: {unknown}"
    if "metric" in frame.columns:
        assert set(frame["metric"]) <= set(GLOSSARY), set(frame["metric"]) - set(GLOSSARY)
    payload = result.to_dict()
    json.dumps(payload, allow_nan=False)  # JSON-safe: no NaN, no numpy types
    assert set(payload["provenance"]) == PROVENANCE_KEYS
    assert payload["provenance"]["method"] in ("exact", "monte carlo")
    for part, rows in payload.items():  # every list of records in the JSON
        if part in INPUT_ECHOES:
            continue
        for row in rows if isinstance(rows, list) else []:
            if isinstance(row, dict):
                unknown = _unknown(row)
                assert not unknown, f"{part}: keys outside the glossary: {unknown}"
    summary = result.summary()
    assert isinstance(summary, Summary)
    for table in summary.tables:  # what is printed is labelled from glossary names
        unknown = _unknown(table.frame.columns)
        assert not unknown, (
            f"summary table {table.title!r}: columns outside the glossary: {unknown}"
        )
    for render in ("as_text", "as_markdown", "as_html", "as_latex", "as_csv"):
        assert getattr(summary, render)().strip()
    assert summary.as_html() == result._repr_html_()
    assert str(result) == summary.as_text()


def test_worst_false_go_columns_are_glossary_names():
    simulated = RESULTS[5]
    assert not _unknown(simulated.worst_false_go().columns)


def test_every_report_csv_column_is_a_glossary_name(tmp_path):
    designs = REPO / "designs"
    report = ap.report(
        designs / "motivating_trial.yaml",
        compare=[designs / "simon_example.toml"],
        scenarios=REPO / "simulations" / "motivating_trial.yaml",
        n_trials=100,
        seed=2,
        progress=False,
    )
    ap.write_report(report, tmp_path, ("csv",))
    files = sorted((tmp_path / "tables").glob("*.csv"))
    assert len(files) >= 10
    for file in files:
        header = pd.read_csv(file, nrows=0).columns
        assert not _unknown(header), f"{file.name}: {_unknown(header)}"


def test_monte_carlo_provenance_has_seed_and_trials():
    simulated = RESULTS[5]
    provenance = simulated.to_dict()["provenance"]
    assert provenance["method"] == "monte carlo"
    assert (provenance["seed"], provenance["n_trials"]) == (3, 500)
    exact = RESULTS[1].to_dict()["provenance"]
    assert exact["seed"] is None and exact["n_trials"] is None


def test_summary_renderers_escape_what_they_must():
    frame = pd.DataFrame({"p": [0.1], "cohort": ["<b>&_%|"]})
    summary = Summary("T & <U>", header=("50% | x_1",), tables=(Table(frame),))
    assert "&lt;b&gt;&amp;" in summary.as_html() and "<b>" not in summary.as_html()
    latex = summary.as_latex()
    assert r"\&" in latex and r"\%" in latex and r"\_" in latex
    assert r"\|" in summary.as_markdown()
    assert summary.as_csv().splitlines()[0] == "p,cohort"


def test_design_hash_has_one_recipe():
    table = ap.BoundaryTable(looks=(10, 29), futility=(1, 5), efficacy=(None, 6))
    oc = ap.exact_oc(table, [0.1])
    from adaptive_pilot.provenance import design_hash

    assert oc.provenance.design_hash == table.design_hash() == design_hash(table.to_dict())
    design = ap.BayesianDesign(ap.BOP2Rule(0.2, ap.BetaPrior(0.2, 0.8), 30, 0.8, 1.0), (10, 20, 30))
    assert design.oc([0.2]).provenance.design_hash == design.design_hash()


# ------------------------------------------------- one compile path, one mu default
SWITCHED = """
name: switched
hypotheses: {p0: 0.2, p1: 0.4}
errors: {alpha: 0.1, beta: 0.2}
prior: {a: 0.2, b: 0.8}
n_max: 40
looks: [10, 20, 30, 40]
futility_on: [false, false, false, true]
rule: {type: bop2, lambda: 0.9, gamma: 1.0, efficacy: obrien-fleming}
calibration:
  bop2:
    lambda: {from: 0.80, to: 0.95, by: 0.01}
    gamma: {from: 0.5, to: 2.0, by: 0.25}
"""


def test_calibrated_design_written_back_has_exactly_the_reported_oc(tmp_path, capsys):
    from adaptive_pilot.cli import main

    source = tmp_path / "switched.yaml"
    source.write_text(SWITCHED)
    out = tmp_path / "calibrated.yaml"
    assert main(["calibrate", str(source), "--write", str(out), "--format", "json"]) == 0
    reported = json.loads(capsys.readouterr().out)
    assert reported["chosen"]["futility_on"] == [False, False, False, True]
    best = reported["feasible"][0]
    assert main(["design", str(out), "--p", "0.2,0.4", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["oc"]
    assert rows[0]["p_go"] == best["alpha"] and rows[1]["p_go"] == best["power"]
    assert rows[0]["en"] == best["en0"]
    assert reported["boundaries"]["futility"][:3] == [None, None, None]


def test_borrow_and_a_trial_give_the_same_posterior(tmp_path, capsys):
    from adaptive_pilot.cli import main

    resolved = ap.load_design(REPO / "designs" / "motivating_trial.yaml")
    data = resolved.data | {"cohorts": [
        {"name": "a", "prevalence": 0.5, "design": {"hypotheses": {"p0": 0.05, "p1": 0.2}}},
        {"name": "b", "prevalence": 0.5, "design": {"hypotheses": {"p0": 0.15, "p1": 0.35}}},
    ], "borrowing": {"model": "hierarchical", "go": 0.9}}  # fmt: skip
    path = tmp_path / "two.yaml"
    import yaml

    path.write_text(yaml.safe_dump(data))
    trial = ap.load_design(path).trial()
    p0s = [c.p0 for c in trial.cohorts]
    model = trial.borrowing.model.quadrature(tuple(p0s))
    in_trial = model.prob_greater([12, 12], np.array([[2, 4]]), p0s)[0]
    assert main(["borrow", "--n", "12,12", "--x", "2,4", "--p0", "0.05,0.15", "--json"]) == 0
    cohorts = json.loads(capsys.readouterr().out)["cohorts"]
    np.testing.assert_allclose([c["prob_gt_p0"] for c in cohorts], in_trial, rtol=0, atol=1e-6)
    expected_mu = float(np.mean(np.log(np.array(p0s) / (1 - np.array(p0s)))))
    assert trial.borrowing.prior.mu_mean == pytest.approx(expected_mu)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"\xff\xfe bad", "is not UTF-8 text"),
        (b"a: 1\na: 2\n", "repeats the key 'a' (first given on line 1)"),
        (b"x: " + b"[" * 40 + b"]" * 40 + b"\n", "nested too deeply"),
        (b"hypotheses: {p0: .nan, p1: 0.3}\nrule: {type: bop2}\n", "(got not a number)"),
        (b"hypotheses: {p0: 0.1, p1: 0.3}\nlooks: {every: 0}\nn_max: 20\nrule: {type: bop2}\n",
         "looks.every: must be at least 1 (got 0)"),
        (b"hypotheses: {p0: 0.1, p1: 0.3}\nn_max: 6000\nrule: {type: bop2}\n",
         "n_max: must be at most 5000 (got 6000)"),
    ],
)  # fmt: skip
def test_bad_files_are_one_line_in_plain_words(tmp_path, capsys, content, fragment):
    from adaptive_pilot.cli import main

    path = tmp_path / "d.yaml"
    path.write_bytes(content)
    with pytest.raises(SystemExit) as raised:
        main(["design", str(path)])
    captured = capsys.readouterr()
    assert raised.value.code == 2 and captured.out == ""
    assert fragment in captured.err and captured.err.count("\n") == 1
    assert "Input should" not in captured.err


def test_a_folder_is_not_a_design_file(tmp_path, capsys):
    from adaptive_pilot.cli import main

    with pytest.raises(SystemExit):
        main(["design", str(tmp_path)])
    assert "is a folder" in capsys.readouterr().err


def test_nothing_outside_the_file_reading_code_touches_the_schema():
    """Design files are read and resolved in spec/; everything else takes engine objects."""
    for path in PACKAGE.rglob("*.py"):
        if path.is_relative_to(PACKAGE / "spec"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                assert node.attr != "spec", f"{path.relative_to(PACKAGE)}:{node.lineno}"
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").endswith("schema"), path.relative_to(PACKAGE)


def test_version_is_the_changelogs_latest_release():
    import tomllib

    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    releases = re.findall(r"^## (\d+\.\d+\.\d+)", (REPO / "CHANGELOG.md").read_text(), re.M)
    assert releases[0] == version
    assert ap.__version__ == version, "reinstall: make test does it when pyproject.toml changes"


def test_architecture_md_lists_the_layers_the_test_checks():
    """ARCHITECTURE.md's layer table is the LAYERS above, in the same order."""
    text = (REPO / "ARCHITECTURE.md").read_text()
    table = text.split("<!-- layers:")[1].split("\n\n")[0]
    rows = [line for line in table.splitlines() if re.match(r"\| \d+ \|", line)]
    documented = [set(re.findall(r"`([a-z_]+)`", row.split("|")[2])) for row in rows]
    assert documented == LAYERS


def test_small_probabilities_print_as_less_than_not_zero():
    frame = pd.DataFrame({"p": [0.1, 0.2, 0.3, 0.4], "p_go": [0.0004, 0.0, 0.9996, 1.0],
                          "en": [0.0004, 1.0, 2.0, 3.0]})  # fmt: skip
    cells = Table(frame, formats={"p_go": ".3f", "en": ".3f"}).cells()
    assert [row[1] for row in cells] == ["< 0.001", "0.000", "> 0.999", "1.000"]
    assert cells[0][2] == "0.000"  # not a probability: plain rounding
    text = Summary("t", tables=(Table(frame, formats={"p_go": ".3f"}),)).as_latex()
    assert "< 0.001" in text or "$<$ 0.001" in text or r"\textless{} 0.001" in text


def test_the_interim_call_loads_no_plotting_stats_or_compiler_until_needed():
    """The independent interim call (the DSMB's command) imports neither matplotlib nor
    scipy.stats nor numba: they cost about 1 s at start-up. (Timings: benchmarks/.)"""
    code = (
        "import sys\n"
        "from adaptive_pilot.dsmb.run import run_interim\n"
        "import datetime as dt\n"
        "run_interim('designs/motivating_trial.yaml',\n"
        "            data='designs/motivating_trial_synthetic_patients.csv',\n"
        "            as_of=dt.date(2026, 6, 30))\n"
        "print(*(m in sys.modules for m in ('matplotlib', 'scipy.stats', 'numba')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert done.stdout.split() == ["False", "False", "False"], done.stderr


def test_no_public_name_is_also_a_submodule_name():
    """A submodule imported anywhere becomes an attribute of the package and would hide the
    lazily exported function of the same name (ap.map_prior was once the module)."""
    import importlib.util

    clashes = [n for n in ap.__all__ if importlib.util.find_spec(f"adaptive_pilot.{n}")]
    assert not clashes
