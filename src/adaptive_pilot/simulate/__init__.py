"""Monte Carlo simulation of multi-cohort trials: kernel, scenarios, seeded parallel runner."""
