"""procure: social clauses in French public procurement (library; no user-interface code here)."""

import os

# procure's linear models multiply a few hundred numbers per sentence: OpenBLAS's worker threads only spin for
# them (0.1 s of CPU in every cold analysis, and one thread per core in every analysis worker of a shared server).
# Set before NumPy is first imported; an operator's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
