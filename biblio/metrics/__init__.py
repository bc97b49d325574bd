"""The metric tables of METRICS.md, one module per family; each a pure function of a Corpus."""
