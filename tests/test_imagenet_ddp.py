"""The ImageNet pipeline (`subspace_nbdev.experiments.imagenet.imagenet_experiment`) under torchrun: 2 CPU processes, gloo.

Needs processes of its own, so it is a plain pytest test rather than a notebook cell. A tiny ResNet-18 with
random weights at 32x32 on a synthetic ImageFolder: rank 0 calibrates and prunes, both ranks evaluate and
fine-tune with DistributedDataParallel, only rank 0 writes files. The first launch is killed right after
the first fine-tuning epoch's checkpoint; the second launch, with the same settings, skips calibration and
pruning and resumes fine-tuning from that checkpoint.
"""
import json, os, subprocess, sys, textwrap
from pathlib import Path
import pytest
import torch

pytestmark = pytest.mark.skipif(not torch.distributed.is_available() or not torch.distributed.is_gloo_available(),
                                reason="needs torch.distributed with the gloo backend")

SCRIPT = textwrap.dedent('''
    import json, os, sys
    from pathlib import Path
    import torch
    torch.set_num_threads(1)
    import subspace_nbdev.experiments.imagenet as im
    import subspace_nbdev.experiments.train as tr
    from subspace_nbdev.experiments.train import dist_env
    data, out, log = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    rank = dist_env()[0]
    save_json = im._save_json
    def logged(obj, path):                      # who writes the record, and when
        with open(log/f"writes-{rank}.txt", "a") as f: f.write(obj["status"] + "\\n")
        save_json(obj, path)
    im._save_json = logged
    if os.environ.get("CRASH_AFTER_EPOCH"):     # simulate a crash right after a checkpoint is written
        save = tr._save_atomic
        def crash(obj, path):
            save(obj, path)
            if obj.get("epoch") == int(os.environ["CRASH_AFTER_EPOCH"]): os._exit(3)
        tr._save_atomic = crash
    rec = im.imagenet_experiment("resnet18", data, weights="random", macs=0.5, calib_images=8, finetune_epochs=2,
                                 out=out, lr=0.05, batch_size=4, workers=0, device="cpu", resolution=32, seed=0,
                                 tag="ddp test", progress=True)
    (log/f"done-{rank}.json").write_text(json.dumps(rec))
''')

def _launch(script, data, out, log, crash=None):
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("CRASH_AFTER_EPOCH", None)
    if crash: env["CRASH_AFTER_EPOCH"] = str(crash)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "--max-restarts", "0",
           str(script), str(data), str(out), str(log)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)

def test_imagenet_experiment_ddp_resumes(tmp_path):
    from subspace_nbdev.experiments.data import make_synthetic_imagefolder
    data = make_synthetic_imagefolder(tmp_path/"data", classes=3, per_class=4, size=32, seed=0)
    script, out, log = tmp_path/"run.py", tmp_path/"out", tmp_path/"log"
    script.write_text(SCRIPT); log.mkdir()

    first = _launch(script, data, out, log, crash=1)
    assert first.returncode != 0, "the first launch should have been killed after epoch 1"
    ck = torch.load(out/"finetune.pt", weights_only=True)
    assert ck["epoch"] == 1 and ck["epochs"] == 2
    rec = json.loads((out/"record.json").read_text())
    assert rec["status"] == "pruned" and rec["world_size"] == 2
    assert (out/"pruned.pt").exists() and not (out/"row.md").exists()
    assert not (log/"done-0.json").exists() and not (log/"done-1.json").exists()

    second = _launch(script, data, out, log)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "resuming from" in second.stdout + second.stderr
    done = [json.loads((log/f"done-{r}.json").read_text()) for r in (0, 1)]   # both ranks finished
    final = json.loads((out/"record.json").read_text())
    assert final["status"] == "finished" and final == done[0]
    for k in ("baseline_top1", "pruned_top1", "finetuned_top1", "finetuned_top5", "macs_after", "params_after", "widths"):
        assert done[1][k] == done[0][k], k                                      # the ranks agree
    assert final["times"]["calibrate"] == rec["times"]["calibrate"]             # calibrated once, in the first launch
    assert [e["epoch"] for e in final["finetune_history"]] == [1, 2]
    assert torch.load(out/"finetune.pt", weights_only=True)["epoch"] == 2
    assert (out/"row.md").read_text().count("\n") == 3
    # only rank 0 wrote the record: baseline, pruned (first launch), finished (second launch)
    assert not (log/"writes-1.txt").exists()
    assert (log/"writes-0.txt").read_text().split() == ["baseline", "pruned", "finished"]
