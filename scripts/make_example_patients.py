"""Write the SYNTHETIC example patient files of the motivating trial (made-up data).

Run from the repository root:  .venv/bin/python scripts/make_example_patients.py

Writes src/adaptive_pilot/examples/designs/motivating_trial_synthetic_patients.csv
(the minimal one-row-per-patient format) and the same patients as CDISC ADaM
CSV files (ADSL, ADRS, ADAE, ADTTE) under src/adaptive_pilot/examples/adam/.
The numbers are invented by a seeded random generator: no real patient is in them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1] / "src" / "adaptive_pilot" / "examples"
CUTOFF = dt.date(2026, 6, 30)
START = dt.date(2025, 7, 1)
# cohort: (evaluable, responders among them, pending, grade >= 3 toxicities) at the cut-off
PLAN = {"G12D": (10, 0, 3, 2), "G12V": (20, 4, 2, 4), "G12C": (12, 5, 1, 3), "other": (9, 1, 4, 4)}
NON_RESPONSES = ["SD", "PD", "PD", "SD", "NON-CR/NON-PD", "NE"]


def main() -> None:
    rng = np.random.default_rng(20260630)
    evaluable_window = (CUTOFF - dt.timedelta(days=75) - START).days
    rows = []
    for cohort, (n, x, pending, toxic) in PLAN.items():
        days = np.sort(rng.integers(0, evaluable_window, n))
        late = np.sort(rng.integers(evaluable_window + 20, (CUTOFF - START).days, pending))
        responders = set(rng.choice(n, x, replace=False).tolist())
        grades = np.array([3] * toxic + [0] * (n + pending - toxic))
        grades[toxic:] = rng.choice([0, 1, 2], n + pending - toxic, p=[0.3, 0.4, 0.3])
        grades[:toxic] = rng.choice([3, 3, 4], toxic)
        rng.shuffle(grades)
        for i, day in enumerate([*days, *late]):
            enrolled = START + dt.timedelta(days=int(day))
            evaluable = i < n
            responder = i in responders
            assessed = enrolled + dt.timedelta(days=int(rng.integers(55, 70)))
            followed = (CUTOFF - enrolled).days / 30.4375
            pfs = min(rng.exponential(6.0 if responder else 2.5) + 0.5, followed)
            os_ = min(pfs + rng.exponential(6.0), followed)
            rows.append(
                {
                    "cohort": cohort,
                    "enrolled": enrolled.isoformat(),
                    "response": (
                        rng.choice(["PR", "PR", "CR"]) if responder else rng.choice(NON_RESPONSES)
                    )
                    if evaluable
                    else "",
                    "response_date": assessed.isoformat() if evaluable else "",
                    "toxicity_grade": int(grades[i]) if grades[i] else "",
                    "pfs_months": round(pfs, 1),
                    "pfs_event": int(pfs < followed),
                    "os_months": round(os_, 1),
                    "os_event": int(os_ < followed and rng.random() < 0.5),
                }
            )
    frame = pd.DataFrame(rows).sort_values("enrolled", kind="stable").reset_index(drop=True)
    frame.insert(0, "patient_id", [f"SYN-{i + 1:03d}" for i in range(len(frame))])
    out = ROOT / "designs" / "motivating_trial_synthetic_patients.csv"
    frame.to_csv(out, index=False, lineterminator="\n")
    print(f"{len(frame)} synthetic patients (cut-off {CUTOFF}) written to {out}")


if __name__ == "__main__":
    main()
