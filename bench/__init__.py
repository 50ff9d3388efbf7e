"""brondata's benchmarks: ``make bench`` (``python -m bench``). Figures, never assertions."""
