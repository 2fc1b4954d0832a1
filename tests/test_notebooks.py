"""Every notebook in `nbs/` is one pytest test.

Cells flagged with a `tst_flags` flag from settings.ini (`#| slow`, `#| gpu`) are skipped unless the
flag is asked for: `pytest tests --flags slow` or `SNP_TEST_FLAGS="slow gpu" pytest tests`.
Cells marked `#| eval: false` never run (they need data a test machine cannot have).
"""
import os, time
from pathlib import Path
import pytest
from nbdev.config import get_config
from nbdev.test import test_nb as run_notebook

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted(p for p in (ROOT/"nbs").rglob("*.ipynb")
             if not any(part.startswith(("_", ".")) for part in p.relative_to(ROOT/"nbs").parts))

def _flags(config):
    asked = set(config.getoption("--flags").split())
    known = set(get_config(path=ROOT).tst_flags.split())
    unknown = asked - known
    if unknown: raise pytest.UsageError(f"unknown test flags {sorted(unknown)}: use some of {sorted(known)}")
    return sorted(known - asked), sorted(asked)

@pytest.mark.parametrize("nb", NBS, ids=[p.stem for p in NBS])
def test_notebook(nb, request):
    skip, force = _flags(request.config)
    os.environ.setdefault("MPLBACKEND", "Agg")
    start = time.time()
    ok, _ = run_notebook(nb, skip_flags=skip, force_flags=force, do_print=False, showerr=True, basepath=ROOT)
    assert ok, f"{nb.name} failed after {time.time()-start:.0f}s (the traceback is printed above)"
