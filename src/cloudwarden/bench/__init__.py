"""`cloudwarden bench diagnose`: generated cases, the engine and baselines on the same evidence.

- `cases`: seeded variants of the scenario files (magnitudes, onset shape, timing, alarm delay,
  drops, retry amplification, distractors); the truth is never changed.
- `scoring`: AC@k and Avg@5 as RCAEval defines them, with the chance level for the candidates.
- `baselines`: BARO and N-Sigma through the `rcaeval` package, a random ranker, and the
  most-recent-change heuristic, all on the EvidenceBundle the engine collected.
- `runner`: runs the cases through the demo journey and builds the report.
"""
