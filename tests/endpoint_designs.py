"""A small design file on several endpoints (ORR within DCR), for the tests that need one."""

from __future__ import annotations


def small_outcome(n_max: int = 30, looks: str = "[15, 30]", lam: float = 0.8) -> str:
    """Three categories (OR, SD, PD), endpoints ORR and DCR, one null and one alternative."""
    return f"""\
outcome:
  categories: [OR, SD, PD]
  endpoints:
    ORR: {{categories: [OR]}}
    DCR: {{categories: [OR, SD]}}
  nulls: {{OR: 0.1, SD: 0.25, PD: 0.65}}
  alternatives: {{OR: 0.25, SD: 0.3, PD: 0.45}}
n_max: {n_max}
looks: {looks}
rule: {{type: bop2, lambda: {lam}, gamma: 1.0}}
"""
