"""Calibration time and memory of the current code's default pruner against another commit's (issue 21's bar: time within
1.3x and memory within 2x of the code before its held-out work, commit e8e2abd).

    python bench/calibration_cost.py --base e8e2abd --nets crepe,efficientnet,minilm,fmnist-vgg,fmnist-resnet,vgg16

Each network is built once by the current loaders (`snp-realnets`' networks; `vgg16`: torchvision VGG-16 with random
weights and 64 random 128-px images; `resnet50` likewise) and saved. Then every calibration runs in a process of its own, alternating the
base commit (its package from a git worktree, first on PYTHONPATH) and the current code, `rounds` times each; the best
time of each is kept. Memory is the calibration's working set: the largest resident set sampled every 5 ms during
`calibrate`, less the resident set just before it (after `malloc_trim`, so that memory freed while loading is not
reused unseen). The networks' own
classes (`experiments/realnets.py`, `experiments/fmnist_models.py`) are given to older code under the same module names.
"""
import ctypes, gc, json, os, re, shutil, subprocess, sys, tempfile, threading, time
from pathlib import Path
from fastcore.script import call_parse

ROOT = Path(__file__).resolve().parents[1]
CLASSES = ("realnets", "fmnist_models")   # modules whose classes the saved networks pickle

def _save(name:str, path:Path):
    "Build network `name` with the current code and save its model, example input and calibration batches."
    import torch
    if name in ("vgg16", "resnet50"):
        import torchvision
        torch.manual_seed(0)
        d = dict(model=getattr(torchvision.models, name)().eval(), example=torch.randn(1, 3, 128, 128),
                 calib=list(torch.randn(64, 3, 128, 128).split(16)))
    else:
        from subspace_nbdev.experiments.realnets_networks import NETS
        net = NETS[name](); net = net[0] if isinstance(net, list) else net
        d = dict(model=net.model, example=net.example, calib=net.calib)
    torch.save(d, path)

def _child(path:str, threads:int, shims:str):
    "One default calibration of a saved network: prints {seconds, peak-memory growth in MiB} as JSON."
    import importlib.util, warnings, torch
    warnings.simplefilter("ignore"); torch.set_num_threads(threads)
    import subspace_nbdev
    from subspace_nbdev.pruner import SubspacePruner
    sys.path.insert(0, shims)
    for m in CLASSES:   # older code lacks the networks' modules: alias the current copies under the same names
        if importlib.util.find_spec(f"subspace_nbdev.experiments.{m}") is None:
            sys.modules[f"subspace_nbdev.experiments.{m}"] = __import__(f"{m}_copy")
    d = torch.load(path, weights_only=False)
    p = SubspacePruner(d["model"], d["example"])
    gc.collect(); ctypes.CDLL("libc.so.6").malloc_trim(0)
    rss = lambda: int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    base, peak, done = rss(), [0], threading.Event()
    def sample():
        while not done.is_set(): peak[0] = max(peak[0], rss()); time.sleep(0.005)
    th = threading.Thread(target=sample); th.start()
    t0 = time.perf_counter()
    p.calibrate(d["calib"], max_samples=None, progress=False)
    t = time.perf_counter() - t0
    done.set(); th.join()
    print(json.dumps(dict(seconds=t, mib=(max(peak[0], rss()) - base) / 2**20, code=str(Path(subspace_nbdev.__file__).parents[1]))))

def _shims(folder:Path):
    "Standalone copies of the networks' class modules (their two package-relative imports replaced)."
    for m in CLASSES:
        s = (ROOT/"subspace_nbdev"/"experiments"/f"{m}.py").read_text()
        s = re.sub(r"^from \.train import default_cache_dir$", "default_cache_dir = lambda *a, **k: None", s, flags=re.M)
        s = re.sub(r"^from \.\.errors import SNPError$", "class SNPError(Exception): pass", s, flags=re.M)
        (folder/f"{m}_copy.py").write_text(s)

@call_parse
def main(base:str="e8e2abd", # the commit to compare with (default: the last before issue 21's held-out work)
         nets:str="crepe,efficientnet,minilm,fmnist-vgg,fmnist-resnet", # comma-separated: snp-realnets' networks, vgg16 or resnet50
         rounds:int=2, # calibrations of each code per network (best time, largest working set kept)
         threads:int=1, # torch threads per calibration
         child:str=None, # internal: run one calibration of this saved network
         shims:str=None, # internal: folder of the class-module copies
        ):
    "Print, per network, the default calibration's time and peak-memory growth under `base` and now, and their ratios."
    if child: return _child(child, threads, shims)
    work = Path(tempfile.mkdtemp(prefix="snp_calib_cost_"))
    tree = work/"base"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(tree), base], check=True, capture_output=True)
    _shims(work)
    try:
        print(f"{'network':14} {'base s':>8} {'now s':>8} {'time':>6} {'base MiB':>9} {'now MiB':>8} {'memory':>7}")
        for name in nets.split(","):
            path = work/f"{name}.pt"; _save(name, path)
            res = {"base": [], "now": []}
            for _ in range(rounds):
                for code in ("base", "now"):
                    env = dict(os.environ, PYTHONPATH=str(tree) + os.pathsep + os.environ.get("PYTHONPATH", "")) if code == "base" else os.environ
                    out = subprocess.run([sys.executable, __file__, "--child", str(path), "--threads", str(threads), "--shims", str(work)],
                                         env=env, check=True, capture_output=True, text=True).stdout
                    res[code].append(json.loads(out.strip().splitlines()[-1]))
            assert all(r["code"] == str(tree) for r in res["base"]), "the base runs did not import the base commit's package"
            tb, tn = (min(r["seconds"] for r in res[c]) for c in ("base", "now"))
            mb, mn = (max(r["mib"] for r in res[c]) for c in ("base", "now"))
            print(f"{name:14} {tb:8.2f} {tn:8.2f} {tn / tb:5.2f}x {mb:9.0f} {mn:8.0f} {mn / max(mb, 1):6.2f}x", flush=True)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
