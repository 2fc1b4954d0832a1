"""The generated files agree with their sources: the module with the notebooks, README.md with nbs/index.ipynb,
and .ci/run with the README's test command."""
import re, shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def _tree(path: Path) -> dict:
    return {p.relative_to(path).as_posix(): p.read_text() for p in sorted(path.rglob("*.py")) if "__pycache__" not in p.parts}

def test_module_matches_notebooks(tmp_path):
    "nbdev_export, run on a copy of the repo, leaves subspace_nbdev/ unchanged"
    for name in ("settings.ini", "setup.py", "pyproject.toml"):
        if (ROOT/name).exists(): shutil.copy(ROOT/name, tmp_path/name)
    shutil.copytree(ROOT/"nbs", tmp_path/"nbs")
    shutil.copytree(ROOT/"subspace_nbdev", tmp_path/"subspace_nbdev", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-c", "from nbdev.doclinks import nbdev_export; nbdev_export()"],
                   cwd=tmp_path, check=True, capture_output=True)
    before, after = _tree(ROOT/"subspace_nbdev"), _tree(tmp_path/"subspace_nbdev")
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"nbdev_export changes {changed}: run `nbdev_export` and commit the notebooks with the module"

def test_readme_matches_index():
    from subspace_nbdev.experiments.cli import make_readme
    assert (ROOT/"README.md").read_text() == make_readme(ROOT/"nbs"/"index.ipynb"), \
        "README.md differs from nbs/index.ipynb: run `snp-readme` and commit README.md"

def readme_commands() -> dict:
    "The README's set-up commands, from the lines that follow its `<!-- main-command -->` / `<!-- test-command -->` marks"
    text, cmds = (ROOT/"README.md").read_text(), {}
    for key in ("main", "test"):
        m = re.search(rf"<!-- {key}-command -->\s*```(?:bash|sh)?\n(.+?)\n```", text, re.S)
        assert m, f"README.md has no `<!-- {key}-command -->` followed by a fenced command"
        cmds[key] = m.group(1).strip()
    return cmds

def test_ci_runs_readme_test_command():
    cmd = readme_commands()["test"]
    assert cmd in (ROOT/".ci"/"run").read_text(), f".ci/run must run the README's test command: {cmd}"
