#!/usr/bin/env bash
# The release check: build the sdist and the wheel, check them with twine, install the
# wheel alone in a fresh virtual environment outside the repository, and run from an
# empty folder what a new user runs: the demo, an interim call on the shipped example
# patients, a protocol report, the validation of the installation (every reference
# number and cross-check) and the web app (a page must answer). Nothing of the
# repository is on the path: the shipped designs, scenarios and patients come from the
# installed package's data.
#
#   scripts/check-release.sh [DIST_DIR]     (make release-check; PYTHON= to choose)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$(sh "$here/scripts/find-python.sh")}
work=$(mktemp -d "${TMPDIR:-/tmp}/adaptive-pilot-release.XXXXXX")
dist=${1:-$work/dist}
app_pid=""
cleanup() {
    if [ -n "$app_pid" ]; then kill "$app_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

step "build the sdist and the wheel"
"$here/.venv/bin/python" -m build --outdir "$dist" "$here" >"$work/build.log" 2>&1 \
    || { cat "$work/build.log"; exit 1; }
wheel=$(ls "$dist"/adaptive_pilot-*.whl)
ls -l "$dist"

step "twine check"
"$here/.venv/bin/python" -m twine check --strict "$dist"/*

step "install the wheel alone in a fresh environment ($python)"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
"$work/venv/bin/python" -m pip install --quiet "${wheel}[app]"
bin="$work/venv/bin"
mkdir "$work/user" && cd "$work/user"   # an empty folder: no repository files anywhere
"$bin/python" - <<'EOF'
import adaptive_pilot, pathlib, sys
where = pathlib.Path(adaptive_pilot.__file__).resolve()
assert "site-packages" in where.parts, f"not the installed package: {where}"
print("adaptive_pilot", adaptive_pilot.__version__, "from", where.parent)
EOF
examples=$("$bin/python" -c 'import adaptive_pilot, pathlib; print(pathlib.Path(adaptive_pilot.__file__).parent / "examples")')

step "adaptive-pilot demo"
"$bin/adaptive-pilot" demo --n-trials 2000 | tail -5

step "adaptive-pilot interim on the shipped example patients"
"$bin/adaptive-pilot" interim "$examples/designs/motivating_trial.yaml" \
    --data "$examples/designs/motivating_trial_synthetic_patients.csv" --as-of 2026-06-30 \
    --audit audit.db --analyst "Release check" --out call | tail -8
test -s call/decision.json && test -s call/closed_report.html

step "adaptive-pilot report"
"$bin/adaptive-pilot" report "$examples/designs/motivating_trial.yaml" --format html,docx,md \
    --out report
test -s report/report.html && test -s report/report.docx

step "adaptive-pilot validate (every reference set and cross-check)"
"$bin/adaptive-pilot" validate --out validation --format html,docx,json --no-progress \
    | sed -n 2p
test -s validation/report.html && test -s validation/report.docx
"$bin/python" - <<'EOF'
import json
result = json.load(open("validation/validation.json"))
assert result["passed"], "the validation failed"
(files,) = [s for s in result["sets"] if s["reference_set"] == "installed_files"]
count = files["checks"][0]
assert count["case"] == "RECORD" and int(count["reference_value"]) > 100, count  # not editable
print(f"installed files: {count['computed_value']} of {count['reference_value']} match RECORD")
EOF

step "adaptive-pilot app answers"
port=$("$bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin/adaptive-pilot" app --port "$port" >"$work/app.log" 2>&1 &
app_pid=$!
"$bin/python" - "$port" <<'EOF'
import sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/"
deadline = time.monotonic() + 60
while True:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            page = response.read().decode()
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(f"the app did not answer at {url} within 60 s")
        time.sleep(0.5)
assert "adaptive_pilot" in page and "Interim" in page, page[:500]
print("the app answered at", url)
EOF

step "release check passed"
