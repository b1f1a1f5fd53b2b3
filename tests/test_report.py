"""Protocol reports: every format shows the library's numbers; LaTeX compiles; bad input."""

from __future__ import annotations

import io
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import adaptive_pilot as ap
from adaptive_pilot.reports import design_report, write_report
from adaptive_pilot.results import Table
from conftest import system_binary

REPO = Path(__file__).resolve().parents[1]
DESIGNS = REPO / "designs"
MOTIVATING = DESIGNS / "motivating_trial.yaml"
TEX_PACKAGES = ("texlive-latex-base", "texlive-latex-recommended", "texlive-fonts-recommended")


SCENARIOS = REPO / "simulations" / "motivating_trial.yaml"
N_TRIALS, SEED = 2_000, 11


@pytest.fixture(scope="module")
def simulation():
    trial = ap.load_design(MOTIVATING).trial()
    return ap.simulate(trial, ap.load_scenarios(SCENARIOS, trial), N_TRIALS, SEED, progress=False)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    report = ap.report(
        MOTIVATING,
        compare=[DESIGNS / "simon_example.toml"],
        scenarios=SCENARIOS,
        n_trials=N_TRIALS,
        seed=SEED,
        progress=False,
    )
    folder = tmp_path_factory.mktemp("report") / "out"
    files = write_report(report, folder, ["html", "md", "tex", "docx", "csv"])
    return report, folder, files


class _Tables(HTMLParser):
    """The cell texts of every <table> (header row first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _shown(table: Table) -> list[list[str]]:
    return [table.header(), *table.cells()]


def _typeset(rows: list[list[str]]) -> list[list[str]]:
    """Cells as HTML and Word show them: formulas typeset (x <= 3 as x ≤ 3, p_tox as p, tox)."""
    from adaptive_pilot.reports.formula import segments

    return [["".join(piece for piece, _ in segments(cell)) for cell in row] for row in rows]


def test_html_docx_and_csv_tables_equal_the_library_tables(written):
    report, folder, _ = written
    tables = [t for _, _, t in report.tables()]
    parser = _Tables()
    parser.feed((folder / "report.html").read_text())
    assert parser.tables == [_typeset(_shown(t)) for t in tables]

    import docx

    document = docx.Document(str(folder / "report.docx"))
    word = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    assert word == [_typeset(_shown(t)) for t in tables]

    for _, stem, table in report.tables():
        # as text, parsed by Python's float (exact for the shortest repr pandas writes)
        back = pd.read_csv(folder / "tables" / f"{stem}.csv", dtype=str, keep_default_na=False)
        assert list(back.columns) == list(table.frame.columns)
        for column in table.frame.columns:
            mine = table.frame[column].reset_index(drop=True)
            if pd.api.types.is_numeric_dtype(mine):  # full precision: exactly equal
                parsed = np.array([float(v) if v else np.nan for v in back[column]])
                assert np.array_equal(parsed, mine.astype(float), equal_nan=True), column
            else:
                assert (back[column].fillna("").astype(str) == mine.fillna("").astype(str)).all()


def test_the_tables_hold_the_exact_oc_and_the_boundaries(written):
    report, folder, _ = written
    design = ap.load_design(MOTIVATING)
    evaluation = design.evaluate()
    by_title = {t.title: t for _, _, t in report.tables()}
    oc = by_title["Exact operating characteristics by true response rate"].frame
    expected = evaluation.oc.to_frame().drop(columns=["method"])
    pd.testing.assert_frame_equal(oc.reset_index(drop=True), expected, check_exact=True)
    csv = next((folder / "tables").glob("table1_*.csv"))
    bounds = pd.read_csv(csv)
    assert list(bounds["n"]) == list(evaluation.table.looks)
    side = by_title["Designs side by side (exact)"].frame
    simon = ap.load_design(DESIGNS / "simon_example.toml").evaluate([0.05, 0.20]).oc
    assert side.loc[1, "alpha"] == pytest.approx(simon.p_go[0], abs=1e-15)
    assert side.loc[1, "own_p0_p1"] == "0.1 / 0.3 (differs)"  # said, not refused


def test_paragraph_states_the_designs_own_numbers(written):
    report, _, _ = written
    text = " ".join(b.text for b in report.sections[0].blocks)
    at0 = ap.load_design(MOTIVATING).evaluate().oc.at(0.05)
    assert f"(the type I error) is {at0['p_go']:.3f}" in text
    assert f"enrols {at0['en']:.1f} patients on average" in text
    assert "interim analyses after 10 and 20 evaluable patients" in text
    assert "4 cohorts (G12D, G12V, G12C, other)" in text
    assert any("Zhou H, Lee JJ, Yuan Y" in r for r in report.references)


@pytest.mark.parametrize(
    ("file", "phrase", "reference"),
    [
        ("simon_example.toml", "Simon's optimal two-stage design", "Simon R."),
        ("lee_liu_example.yaml", "predictive-probability design", "Lee JJ, Liu DD."),
        ("bop2_example.yaml", "with early stopping for efficacy", "Zhou H"),
    ],
)
def test_every_design_family_gets_its_paragraph_and_reference(file, phrase, reference):
    report = design_report(DESIGNS / file)
    text = " ".join(b.text for b in report.sections[0].blocks)
    assert phrase in text and "(the power) is" in text
    assert any(r.startswith(reference) for r in report.references)


def test_figures_are_written_as_png_and_svg(written):
    report, folder, files = written
    assert all(path.exists() for path in files)
    for number, block in report.figures():
        for suffix in (".png", ".svg"):
            assert (folder / "figures" / f"figure{number}_{block.name}{suffix}").exists()
    # LaTeX's figures: one PDF, a page per figure (its fonts embedded once)
    import re

    pages = re.findall(rb"/Type\s*/Page\b(?!s)", (folder / "figures" / "figures.pdf").read_bytes())
    assert len(pages) == len(report.figures())
    assert "page=1]{figures/figures.pdf}" in (folder / "report.tex").read_text()
    assert (folder / "report.html").read_text().count("<svg") == len(report.figures())
    assert "figures/figure1_boundaries.svg" in (folder / "report.md").read_text()
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".out.")]


def test_latex_compiles_with_pdflatex(written, tmp_path):
    pdflatex = system_binary("pdflatex", TEX_PACKAGES)
    _, folder, _ = written
    for _ in range(2):  # longtable settles its column widths on the second run
        done = subprocess.run(
            [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "report.tex"],
            cwd=folder, capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-2000:]
    # every table and line stays within the margins (the simulation tables are the widest)
    assert "Overfull \\hbox" not in (folder / "report.log").read_text(errors="replace")
    pdf = (folder / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000


def test_a_failure_leaves_nothing_half_written(tmp_path, monkeypatch):
    from adaptive_pilot.reports import word

    def broken(report):
        raise RuntimeError("disk full")

    monkeypatch.setattr(word, "render_docx", broken)
    report = design_report(DESIGNS / "simon_example.toml")
    with pytest.raises(RuntimeError):
        write_report(report, tmp_path / "out", ["html", "docx"])
    assert list(tmp_path.iterdir()) == []


def _cli(*args):
    command = [sys.executable, "-m", "adaptive_pilot.cli", "report", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "html,pdf"], "--format: unknown format 'pdf'; allowed: html, md, tex"),
        (["--p", "0.1,1.5"], "--p: response rates must be between 0 and 1 (got 1.5)"),
        (["--out-under-a-file"], "is a file, not a folder"),
        (["--n-trials", "100"], "--n-trials: is used only with --scenarios (a simulation)"),
        (["--scenarios", "missing.yaml"], "scenario file: missing.yaml does not exist"),
    ],
)
def test_cli_bad_input_is_one_line_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "out"
    if args == ["--out-under-a-file"]:
        (tmp_path / "notes.txt").write_text("a file, not a folder")
        args, out = [], tmp_path / "notes.txt" / "out"
    done = _cli(MOTIVATING, "--out", out, *args)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_cli_writes_the_report_creating_its_folders(tmp_path):
    out = tmp_path / "reports" / "motivating"
    done = _cli(MOTIVATING, "--format", "html,docx", "--out", out)
    assert done.returncode == 0, done.stderr
    assert "Written:" in done.stdout and (out / "report.docx").exists()
    assert (out / "report.html").exists()
    assert io.BytesIO((out / "report.docx").read_bytes()).read(2) == b"PK"


# ------------------------------------------------------------- simulation
def _by_title(report):
    return {t.title: t for _, _, t in report.tables()}


def test_sections_come_in_the_protocol_order(written):
    report, _, _ = written
    assert [s.title for s in report.sections] == [
        "Statistical design",
        "Stopping boundaries",
        "Operating characteristics",
        "Prior sensitivity",
        "Comparison of designs",
        "Simulated operating characteristics",
        "Appendix: simulation",
    ]
    simulated = report.sections[5]
    assert simulated.provenance is not None and simulated.provenance.method == "monte carlo"
    assert simulated.provenance.seed == SEED and simulated.provenance.n_trials == N_TRIALS


def test_simulated_tables_hold_the_simulation_estimates_and_mcse(written, simulation):
    report, _, _ = written
    frame = simulation.frame.set_index(["scenario", "cohort", "metric"])
    tables = _by_title(report)
    for scenario in simulation.scenarios:
        title = next(t for t in tables if t.startswith(f"Scenario {scenario.name}:"))
        table = tables[title].frame
        assert list(table["cohort"]) == list(simulation.trial.cohort_names)
        assert np.array_equal(table["p"], scenario.response)
        for metric in ("p_go", "p_early_futility", "p_stop_toxicity", "en", "duration"):
            for row in table.itertuples():
                estimate, mcse = frame.loc[(scenario.name, row.cohort, metric)]
                assert getattr(row, metric) == estimate  # same numbers, same seed: exact
                assert getattr(row, f"{metric}_mcse") == mcse
    trial_level = tables["Simulated trial-level operating characteristics by scenario"].frame
    null = trial_level.set_index("scenario").loc["global-null"]
    assert null["fwer"] == frame.loc[("global-null", "ALL", "fwer"), "estimate"]
    cells = tables["Simulated trial-level operating characteristics by scenario"].cells()
    assert cells[0][2] == f"{null['fwer']:.3f} ({null['fwer_mcse']:.3f})"  # estimate (MCSE)


def test_each_cohort_ends_one_way_in_every_scenario(simulation):
    frame = simulation.frame.set_index(["scenario", "cohort", "metric"])["estimate"]
    endings = ("p_go", "p_nogo_final", "p_early_futility", "p_stop_toxicity", "p_incomplete")
    for scenario in simulation.scenarios:
        for cohort in simulation.trial.cohort_names:
            total = sum(frame[(scenario.name, cohort, m)] for m in endings)
            total -= frame[(scenario.name, cohort, "p_go_incomplete")]  # in p_go and p_incomplete
            assert total == pytest.approx(1.0, abs=1e-12)


def test_statistical_section_and_appendix_state_the_simulation(written, simulation):
    report, _, _ = written
    text = " ".join(b.text for b in report.sections[0].blocks)
    fwer = simulation.frame.query("scenario == 'global-null' and metric == 'fwer'").iloc[0]
    assert f"{N_TRIALS:,} simulated trials under each of 6 scenarios" in text
    assert f"is {fwer['estimate']:.3f} (MCSE {fwer['mcse']:.3f})" in text
    settings = dict(_by_title(report)["Simulation settings and software"].frame.values)
    assert settings["root seed"] == str(SEED)
    assert settings["simulated trials per scenario"] == f"{N_TRIALS:,}"
    assert settings["design hash (trial)"] == simulation.provenance.design_hash
    assert settings["scenarios hash"] == simulation.provenance.details["scenarios_hash"]
    assert settings["command"].endswith(
        f"--n-trials {N_TRIALS} --seed {SEED} --analysis independent"
    )
    assert "numpy" in settings["software"] and "wall time" in settings
    rates = _by_title(report)["Scenarios simulated: true response (and toxicity) rate per cohort"]
    assert list(dict.fromkeys(rates.frame["scenario"])) == [s.name for s in simulation.scenarios]
    assert list(rates.frame.columns) == ["scenario", "cohort", "p", "p_toxicity"]  # long CSV
    shown = rates.header()  # shown wide: one column per cohort
    assert shown == ["scenario", "G12D", "G12V", "G12C", "other", "p_tox (all cohorts)"]
    assert len(rates.cells()) == len(simulation.scenarios)
    appendix = " ".join(b.text for b in report.sections[6].blocks if hasattr(b, "text"))
    assert "sqrt(p (1 - p) / R)" in appendix and f"SeedSequence({SEED})" in appendix
    assert len([f for _, f in report.figures() if f.name.startswith("scenario_")]) == 6


def test_hierarchical_borrowing_is_described_with_its_thresholds():
    report = ap.report(MOTIVATING, analysis="hierarchical")
    text = " ".join(b.text for b in report.sections[0].blocks)
    assert "Bayesian hierarchical model (Berry et al. 2013)" in text
    assert "stop for futility if q_j < 0.3" in text and "GO if q_j >= 0.992" in text
    assert "HalfNormal(1)" in text and "each with the looks above" in text
    assert any(r.startswith("Berry SM") for r in report.references)
    independent = " ".join(b.text for b in ap.report(MOTIVATING).sections[0].blocks)
    assert "no borrowing between cohorts" in independent and "Berry" not in independent


def test_cli_report_with_a_simulation(tmp_path):
    out = tmp_path / "out"
    done = _cli(MOTIVATING, "--scenarios", SCENARIOS, "--n-trials", "500", "--seed", "3",
                "--format", "csv", "--no-progress", "--out", out)  # fmt: skip
    assert done.returncode == 0, done.stderr
    settings = next((out / "tables").glob("*simulation_settings*.csv"))
    values = dict(pd.read_csv(settings).values)
    assert values["root seed"] == "3" and values["simulated trials per scenario"] == "500"


def test_a_report_on_a_grid_without_p0_and_p1_adds_them(tmp_path):
    """The protocol text states P(GO) at p0 and p1: they are evaluated whatever --p says."""
    import csv

    done = subprocess.run(
        [sys.executable, "-m", "adaptive_pilot.cli", "report",
         str(REPO / "designs" / "bop2_example.yaml"), "--p", "0.3,0.5", "--format", "csv",
         "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    oc = next((tmp_path / "out" / "tables").glob("*exact_operating*.csv"))
    rates = [float(row["p"]) for row in csv.DictReader(oc.open())]
    assert rates == [0.2, 0.3, 0.4, 0.5]  # p0 = 0.2 and p1 = 0.4 beside the grid asked for


@pytest.mark.parametrize("incomplete", ["analyse", "no_go"])
def test_incomplete_cohorts_are_described_as_the_design_treats_them(incomplete, tmp_path):
    """The sentence about a cohort short of its final look follows ``accrual.incomplete``,
    and the simulated P(GO at close) agrees with it (positive only when analysed)."""
    text = MOTIVATING.read_text().replace("incomplete: analyse", f"incomplete: {incomplete}")
    text = text.replace("max_duration: 48", "max_duration: 20")  # cohorts often incomplete
    path = tmp_path / "design.yaml"
    path.write_text(text)
    report = ap.report(path, scenarios=REPO / "simulations" / "motivating_trial.yaml",
                       n_trials=300, seed=3, progress=False)  # fmt: skip
    words = " ".join(b.text for b in report.sections[0].blocks if hasattr(b, "text"))
    analysed = "is analysed once the outcomes of everyone it enrolled are known"
    if incomplete == "analyse":
        assert analysed in words and "ends without a GO" not in words
    else:
        assert "ends without a GO (NO-GO)" in words and analysed not in words
    frame = ap.simulate(
        ap.load_design(path).trial(), ap.load_scenarios(REPO / "simulations" /
        "motivating_trial.yaml", ap.load_design(path).trial()), n_trials=300, seed=3,
        progress=False,
    ).to_frame()  # fmt: skip
    at_close = frame.loc[frame["metric"] == "p_go_incomplete", "estimate"]
    if incomplete == "analyse":
        assert at_close.max() > 0
    else:
        assert at_close.empty or at_close.max() == 0


def test_page_footers_say_monte_carlo_where_the_report_simulates(tmp_path):
    """LaTeX and Word repeat one footer on every page: it names both methods when the
    report has simulated sections, and only "exact" otherwise."""
    import zipfile

    simulated = ap.report(MOTIVATING, scenarios=REPO / "simulations" / "motivating_trial.yaml",
                          n_trials=200, seed=5, progress=False)  # fmt: skip
    exact_only = ap.report(DESIGNS / "bop2_example.yaml")
    for report, folder, expected in (
        (simulated, tmp_path / "sim", "exact OC, Monte Carlo (200 trials, seed 5) for the"),
        (exact_only, tmp_path / "exact", "; exact; design "),
    ):
        write_report(report, folder, ("tex", "docx"))
        tex = (folder / "report.tex").read_text()
        footer = tex.split("\\fancyfoot[L]{")[1].split("\n")[0]
        assert expected in footer.replace("\\_", "_")
        with zipfile.ZipFile(folder / "report.docx") as docx:
            word_footer = "".join(
                docx.read(name).decode() for name in docx.namelist() if "footer" in name
            )
        assert expected in word_footer
    assert "Monte Carlo" not in exact_only.footer()


def test_the_per_look_table_holds_the_exact_cumulative_probabilities(written):
    """As rpact and gsDesign print it: bounds in responses and as ORR, cumulative P(stop for
    futility) and P(GO) at p0 and p1; the last row's P(GO) is the type I error and power."""
    report, _, _ = written
    design = ap.load_design(MOTIVATING).design
    blocks = report.sections[1].blocks
    table = next(b for b in blocks if isinstance(b, Table) and "by look" in b.title)
    legend = blocks[next(i for i, b in enumerate(blocks) if b is table) + 1].text
    frame = table.frame
    oc = ap.exact_oc(design.table, [design.p0, design.p1])
    np.testing.assert_allclose(frame["p_cum_futility_p0"], np.cumsum(oc.stop_futility[0]), 0, 1e-15)
    np.testing.assert_allclose(frame["p_cum_go_p1"], np.cumsum(oc.stop_efficacy[1]), 0, 1e-15)
    assert frame["p_cum_go_p0"].iloc[-1] == pytest.approx(oc.p_go[0], abs=1e-15)
    assert frame["p_cum_go_p1"].iloc[-1] == pytest.approx(oc.p_go[1], abs=1e-15)
    assert list(frame["futility"]) == [design.table.futility_at(k) for k in range(3)]
    assert frame["efficacy"].iloc[-1] == design.table.efficacy[-1]
    np.testing.assert_allclose(frame["orr_futility"], 100 * frame["futility"] / frame["n"])
    assert f"type I error ({oc.p_go[0]:.4f}) and the power ({oc.p_go[1]:.4f})" in legend
    assert legend.startswith("Legend:") and f"p0 = {design.p0:g}" in legend


def test_formulas_are_typeset_in_html_latex_and_word(written):
    """The rule's exponent, >= and the toxicity subscript, in each format's own way."""
    import docx

    _, folder, _ = written
    page = (folder / "report.html").read_text()
    assert "(n/N)<sup>0.3</sup>" in page and "q ≥ 0.83" in page and "p<sub>tox</sub>" in page
    assert "lambda" not in page and "(n/N)^" not in page
    tex = (folder / "report.tex").read_text()
    assert r"(n/N)\textsuperscript{0.3}" in tex and r"q $\geq$ 0.83" in tex
    assert r"p\textsubscript{tox}" in tex
    document = docx.Document(str(folder / "report.docx"))
    runs = [run for p in document.paragraphs for run in p.runs]
    assert any(run.text == "0.3" and run.font.superscript for run in runs)
    assert any(run.text == "tox" and run.font.subscript for run in runs)
    assert "≥" in " ".join(p.text for p in document.paragraphs)
    # the plain formats keep the ASCII the engine writes
    assert "(n/N)^0.3" in (folder / "report.md").read_text()


def test_word_tables_never_break_a_word(written):
    """Each column is at least as wide as its longest word at the table's font size, and
    the table fits the text width (LibreOffice renders them so: checked by eye, issue 25)."""
    import docx

    from adaptive_pilot.reports.word import _BODY_EM, _HEADER_EM, _PADDING_IN

    _, folder, _ = written
    document = docx.Document(str(folder / "report.docx"))
    section = document.sections[0]
    text_width = section.page_width - section.left_margin - section.right_margin
    for table in document.tables:
        widths = [column.width for column in table.columns]
        assert sum(widths) <= text_width + 1000, "wider than the text"
        size = table.rows[0].cells[0].paragraphs[0].runs[0].font.size.pt
        assert size >= 7
        for k, column in enumerate(table.columns):
            head = max(len(w) for w in column.cells[0].text.split()) * _HEADER_EM
            body = max((len(w) for c in column.cells[1:] for w in c.text.split()), default=0)
            need = max(head, body * _BODY_EM) * size / 72 + _PADDING_IN
            assert widths[k] / 914400 >= need * 0.999 or sum(widths) >= text_width - 1000, (
                table.rows[0].cells[k].text
            )


def test_each_claim_of_the_design_paragraphs_is_the_designs_own_number():
    """Every number the statistical section states, recomputed from the design objects."""
    resolved = ap.load_design(MOTIVATING)
    design = resolved.design
    report = design_report(MOTIVATING)
    text = " ".join(b.text for b in report.sections[0].blocks)
    oc = design.evaluate().oc
    at0, at1 = oc.at(design.p0), oc.at(design.p1)
    # error rates, early stopping and sample sizes at p0 and p1
    assert f"(the type I error) is {at0['p_go']:.3f}" in text
    assert f"the trial stops early with probability {at0['pet']:.3f}" in text
    assert f"enrols {at0['en']:.1f} patients on average" in text
    assert f"(the power) is {at1['p_go']:.3f}, with {at1['en']:.1f} patients" in text
    # the prior: its mean and effective sample size
    prior = design.prior
    assert f"prior (mean {prior.a / (prior.a + prior.b):.2g}, worth {prior.a + prior.b:g} " in text
    # toxicity: the stopping counts of the rule at its looks, and P(GO | p1) per toxicity rate
    rule = design.toxicity
    counts = rule.stopping_counts(rule.looks)
    listed = ", ".join(f">= {c} of {n}" for c, n in zip(counts, rule.looks, strict=True))
    assert listed in text
    joint = design.evaluate().joint.to_frame()
    for rate in design.toxicity_rates:
        row = joint[(joint["p"].round(10) == round(design.p1, 10))
                    & (joint["p_toxicity"].round(10) == round(rate, 10))]  # fmt: skip
        assert f"{row['p_go'].iloc[0]:.3f} at a toxicity rate of {100 * rate:g} %" in text
    # the looks and N
    looks = design.table.looks
    assert f"at most {looks[-1]} evaluable patients" in text
    assert f"interim analyses after {looks[0]} and {looks[1]} evaluable patients" in text


def test_small_probabilities_in_the_text_read_less_than_one_in_a_thousand():
    """A probability that rounds to 0.000 but is not 0 is written "< 0.001", in every claim."""
    from adaptive_pilot.results import probability_text

    assert probability_text(0.0004) == "< 0.001"
    assert probability_text(0.0) == "0.000"
    assert probability_text(0.9996) == "> 0.999"
    assert probability_text(1.0) == "1.000"
    assert probability_text(0.0491) == "0.049"


def test_a_go_consider_nogo_design_is_described_with_its_three_outcomes():
    path = DESIGNS / "go_consider_nogo.yaml"
    design = ap.load_design(path).design
    report = design_report(path)
    text = " ".join(b.text for b in report.sections[0].blocks)
    oc = design.evaluate().oc
    at0, at1 = oc.at(design.p0), oc.at(design.p1)
    for at in (at0, at1):
        assert (f"GO {at['p_go']:.3f}, CONSIDER {at['p_consider']:.3f} and NO-GO "
                f"{at['p_nogo']:.3f}") in text  # fmt: skip
    assert f"a false NO-GO with probability {at1['p_nogo']:.3f}" in text
    assert "lower reference value (LRV) of 15 %" in text and "(the power)" not in text
    lo, hi = design.table.consider_range
    assert f"CONSIDER if {lo} <= x <= {hi}" in text
    assert any(r.startswith("Lalonde RL") for r in report.references)
    assert any(r.startswith("Frewer P") for r in report.references)


def test_a_wrapping_latex_column_is_never_narrower_than_its_longest_word():
    """A mixture prior's '0.0227*Beta(1.36015,' cannot break: the column holds it."""
    import re

    import pandas as pd

    from adaptive_pilot.reports.latex import _longtable
    from adaptive_pilot.results import Table

    word = "0.0227*Beta(1.36015,"
    frame = pd.DataFrame(
        {
            "scenario": ["as designed", "robust weight 0.25"],
            "prior": [f"0.28*Beta(7.5, 77.0) + {word} 4.15346) + 0.5*Beta(1, 1)"] * 2,
            **{f"col{k}": [0.123456789, 0.5] for k in range(9)},
        }
    )
    tex = _longtable(Table(frame, title="t"))
    share = float(re.search(r"p\{([0-9.]+)\\textwidth\}", tex).group(1))
    capacity = {"": 80, "\\small": 92, "\\footnotesize": 104, "\\scriptsize": 124}[
        next((s for s in ("\\small", "\\footnotesize", "\\scriptsize") if s in tex), "")
    ]
    assert share * capacity / 0.95 >= len(word) + 2 - 1e-9
