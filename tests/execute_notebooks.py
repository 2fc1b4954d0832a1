"""Execute notebooks in place so that their outputs (tables, figures) are saved for readers.

    python tests/execute_notebooks.py nbs/01_triangular.ipynb [...]   # skips `slow`/`gpu` cells
    SNP_TEST_FLAGS=slow python tests/execute_notebooks.py nbs/experiments/10_reproduce.ipynb

Run `nbdev_clean` afterwards. The tests (`pytest tests`) do not need this: they run the notebooks themselves.
"""
import os, sys
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory
from nbdev.config import get_config

def execute(fn, flags=()):
    fn = Path(fn).resolve()
    skip = set(get_config().tst_flags.split()) - set(flags)
    nb = read_nb(fn)
    def _no_eval(cell):
        if cell.cell_type != 'code': return True
        first = [l.strip().replace(' ', '') for l in cell.source.splitlines() if l.startswith('#|')]
        return any(l in {f'#|{f}' for f in skip} or l == '#|eval:false' for l in first)
    os.environ.setdefault("MPLBACKEND", "Agg")
    with working_directory(fn.parent):
        CaptureShell(fn).run_all(nb, exc_stop=True, preproc=_no_eval)
    write_nb(nb, fn)
    print(f"executed {fn.name}")

if __name__ == "__main__":
    for f in sys.argv[1:]: execute(f, os.environ.get("SNP_TEST_FLAGS", "").split())
