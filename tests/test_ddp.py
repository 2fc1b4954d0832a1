"""DistributedDataParallel through `subspace_nbdev.experiments.train.train`, launched with torchrun (2 CPU processes, gloo).

Checks that both ranks finish, that rank 0 wrote the checkpoint, that the two replicas end with identical
weights, and that 2 processes with the global batch split in halves give the same weights as one process
with the whole batch (for a model without batch norm or dropout, on an unshuffled loader: then DDP's
averaged gradient is the full-batch gradient, up to float rounding).
"""
import importlib.util, os, subprocess, sys, textwrap
from pathlib import Path
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent('''
    import os, sys
    import torch, torch.nn as nn
    from torch.utils.data import TensorDataset
    from subspace_nbdev.experiments.data import dataloader
    from subspace_nbdev.experiments.train import train, set_seed, dist_env, cleanup_distributed, evaluate

    def problem():
        "A fixed random dataset and a fixed initial MLP (the same in every process)."
        g = torch.Generator().manual_seed(0)
        X = torch.randn(256, 20, generator=g)
        y = (X[:, :3].sum(1) > 0).long()
        set_seed(0)
        model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 2))
        return TensorDataset(X, y), model

    if __name__ == "__main__":
        out = sys.argv[1]
        torch.set_num_threads(1)
        ds, model = problem()
        dl = dataloader(ds, batch_size=32, shuffle=False)  # the global batch: 16 per process with 2 processes
        hist = train(model, dl, epochs=2, lr=0.1, weight_decay=1e-4, checkpoint=os.path.join(out, "ddp.ckpt"),
                     progress=False, device="cpu")
        acc = evaluate(model, dataloader(ds, batch_size=50), progress=False, device="cpu")
        rank, world, _ = dist_env()
        torch.save({"state": model.state_dict(), "steps": len(hist.losses), "acc": acc, "world": world},
                   os.path.join(out, f"rank{rank}.pt"))
        cleanup_distributed()
''')


def _env():
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"): env.pop(k, None)
    return env


def test_ddp_two_cpu_processes(tmp_path):
    script = tmp_path/"ddp_script.py"
    script.write_text(SCRIPT)
    out = tmp_path/"out"; out.mkdir()
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--standalone",
           str(script), str(out)]
    res = subprocess.run(cmd, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, f"torchrun failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    r0, r1 = (torch.load(out/f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert (r0["world"], r1["world"]) == (2, 2)
    assert (out/"ddp.ckpt").exists()
    ck = torch.load(out/"ddp.ckpt", weights_only=True)
    assert ck["epoch"] == 2 and ck["steps_per_epoch"] == 8  # 256 images / global batch 32
    # DDP keeps the replicas identical, bit for bit
    for k in r0["state"]: assert torch.equal(r0["state"][k], r1["state"][k]), k
    assert r0["steps"] == r1["steps"] == 16
    # evaluation is sharded and summed: every rank reports the accuracy on all 256 images
    assert r0["acc"] == r1["acc"]
    # the checkpoint holds the final weights
    for k in r0["state"]: assert torch.equal(ck["model"][k], r0["state"][k]), k

    # one process, same global batch: the same weights up to float rounding
    sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location("ddp_script", script)
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)  # defines problem(), runs nothing
    from subspace_nbdev.experiments.data import dataloader
    from subspace_nbdev.experiments.train import train, evaluate
    ds, model = mod.problem()
    hist = train(model, dataloader(ds, batch_size=32), epochs=2, lr=0.1, weight_decay=1e-4, progress=False, device="cpu")
    assert len(hist.losses) == 16
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, r0["state"][k], rtol=1e-5, atol=1e-6)
    assert abs(evaluate(model, dataloader(ds, batch_size=50), progress=False, device="cpu") - r0["acc"]) < 1
