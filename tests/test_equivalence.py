"""Behaviour unchanged across restructures: orders, widths, reports and pruned outputs of a fixed set of models and settings.

    python tests/test_equivalence.py --record   # write tests/equivalence.json from the current code (only on purpose)
    pytest tests/test_equivalence.py            # compare the current code with it

Recorded before the one-unit-path restructure (issue 22). A deliberate change of behaviour re-records the file in the
same commit and says why in the message.
"""
import json, sys, warnings
from pathlib import Path
import torch, torchvision
from torch import nn

FIXTURE = Path(__file__).with_name("equivalence.json")
V, T = 100, 16   # vocabulary and tokens per sequence of the tiny language models

def _tokens(b, seed):
    g = torch.Generator().manual_seed(seed)
    return dict(input_ids=torch.randint(0, V, (b, T), generator=g), attention_mask=torch.ones(b, T, dtype=torch.long))

def _images(b, seed, size=32):
    return torch.randn(b, 3, size, size, generator=torch.Generator().manual_seed(seed))

def _vgg():
    torch.manual_seed(0)
    c = lambda i, o: [nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU()]
    m = nn.Sequential(*c(3, 16), *c(16, 16), nn.MaxPool2d(2), *c(16, 24), nn.MaxPool2d(2), nn.Flatten(),
                      nn.Linear(24 * 8 * 8, 32), nn.ReLU(), nn.Linear(32, 10))
    for b in m:
        if isinstance(b, nn.BatchNorm2d): nn.init.uniform_(b.weight, 0.5, 1.5); nn.init.normal_(b.running_mean, std=0.1)
    return m.eval()

def _resnet():
    torch.manual_seed(0); return torchvision.models.resnet18(num_classes=10).eval()

def _mobilenet():
    torch.manual_seed(0); return torchvision.models.mobilenet_v3_small(num_classes=10).eval()

def _tv_vit():
    torch.manual_seed(0)
    m = torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32,
                                             mlp_dim=64, num_classes=10)
    nn.init.normal_(m.heads.head.weight, std=0.2)
    return m.eval()

def _bert():
    import transformers as tf
    torch.manual_seed(0)
    return tf.BertModel(tf.BertConfig(vocab_size=V, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                      intermediate_size=64, max_position_embeddings=64)).eval()

def _llama():
    import transformers as tf
    torch.manual_seed(0)
    return tf.LlamaForCausalLM(tf.LlamaConfig(vocab_size=V, hidden_size=32, num_hidden_layers=2, intermediate_size=64,
                                              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64)).eval()

# name -> (model, example inputs, calibration batches, evaluation batch, pruner options)
def _cases():
    img = lambda: (_images(1, 0), [_images(16, s) for s in range(1, 9)], _images(8, 99))
    tok = lambda: (_tokens(1, 0), [_tokens(8, s) for s in range(1, 9)], _tokens(4, 99))
    # residual=False: the default until residual="choose" (06_pruner tests that its streams-kept candidate is this prune)
    return {"vgg": (_vgg, img, {}), "resnet18": (_resnet, img, dict(residual=False)), "resnet18_residual": (_resnet, img, dict(residual=True)),
            "mobilenet_v3_small": (_mobilenet, img, dict(residual=False)), "tv_vit": (_tv_vit, img, {}),
            "bert": (_bert, tok, {}), "llama": (_llama, tok, {})}

# (ordering, allocation, budget, prune overrides): each prune of each model
SETTINGS = [("zca", "variance", dict(threshold=0.95), {}),
            ("zca", "variance", dict(macs=0.6), {}),
            ("variance", "uniform", dict(macs=0.6), {}),
            ("partial", "cost", dict(params=0.7), {}),
            ("zca", "error", dict(macs=0.6), {}),
            ("zca", "variance", dict(macs=0.6), dict(compensate=False)),
            ("zca", "variance", dict(macs=0.6), dict(damping=1e-2)),
            ("zca", "uniform", dict(macs=0.6), dict(sequential=True)),
            ("zca", "uniform", dict(macs=0.6), dict(sequential="dense")),
            ("zca", "variance", dict(threshold=1.0), {}),
            ("zca", "variance", dict(macs=0.6), dict(batchnorm="choose")),   # added with 06i_batchnorm: the others keep theirs
            ("output", ("variance", "error"), dict(macs=0.6), {})]   # added with the held-out choice of the allocation
UNIT_SETTINGS = {"variance", "uniform"}   # orderings whose units are recorded

def _orders(pruner, ordering) -> dict:
    "Group name -> unit order (most important first) of `ordering` on the pruner's statistics."
    facts = pruner._factors_for(ordering)
    return {u.name: f.order.tolist() for u, f in zip(pruner.units, facts)}

def _first(out):
    from subspace_nbdev.utils import tensors_in
    return tensors_in(out)[0]

def _projection(y):
    "Twelve fixed random projections of the output, its norm, and its sum: a small fingerprint of every value."
    y = y.detach().double().flatten()
    P = torch.randn(12, y.numel(), generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    return (P @ y).tolist() + [float(y.norm()), float(y.sum())]

def _run(model, x):
    with torch.no_grad(): return _first(model(**x) if isinstance(x, dict) else model(x))

def record() -> dict:
    from subspace_nbdev.pruner import SubspacePruner
    res = {}
    for name, (make, data, opts) in _cases().items():
        model = make(); ex, cal, held = data()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = SubspacePruner(model, ex, **{"batchnorm": "keep", **opts}).calibrate(cal, progress=False)   # as recorded
            entry = dict(orders={o: _orders(p, o) for o in ("zca", "variance", "partial")}, prunes=[])
            for ordering, allocation, budget, over in SETTINGS:
                try: pm, rep = p.prune(**budget, ordering=ordering, allocation=allocation, **over)
                except Exception as e:
                    entry["prunes"].append(dict(error=f"{type(e).__name__}")); continue
                entry["prunes"].append(dict(
                    rows=[[r.name, r.unit, r.before, r.after, r.comp, r.note] for r in rep.rows],
                    numbers=[[r.variance_kept, r.error, r.rel_error] for r in rep.rows],
                    macs=rep.macs_after, params=rep.params_after, threshold=rep.threshold, notes=rep.notes,
                    measured=rep.measured, output=_projection(_run(pm, held))))
        res[name] = entry
    return res

def _close(a, b, rel=1e-6, abs_=1e-9):
    if a is None or b is None: return a is b
    return abs(a - b) <= abs_ + rel * max(abs(a), abs(b))

def test_equivalence():
    "Every recorded order, width, note and number is reproduced (numbers to 1e-6 relative, outputs to 1e-5)."
    want, got = json.loads(FIXTURE.read_text()), record()
    assert set(got) == set(want)
    bad = []
    for name in want:
        w, g = want[name], got[name]
        for o in w["orders"]:
            if w["orders"][o] != g["orders"][o]: bad.append(f"{name}: {o} order")
        for i, (pw, pg) in enumerate(zip(w["prunes"], g["prunes"])):
            tag = f"{name} setting {i} {SETTINGS[i][:3]}"
            if "error" in pw or "error" in pg:
                if pw != pg: bad.append(f"{tag}: {pw} != {pg}")
                continue
            for k in ("rows", "macs", "params", "notes"):
                if pw[k] != pg[k]: bad.append(f"{tag}: {k} differ: {pw[k]} != {pg[k]}")
            for rw, rg in zip(pw["numbers"], pg["numbers"]):
                if not all(_close(a, b) for a, b in zip(rw, rg)): bad.append(f"{tag}: numbers {rw} != {rg}")
            if not _close(pw["threshold"], pg["threshold"]): bad.append(f"{tag}: threshold")
            if not _close(pw["measured"], pg["measured"], rel=1e-4): bad.append(f"{tag}: measured")
            if not all(_close(a, b, rel=1e-5, abs_=1e-6 * pw["output"][-2]) for a, b in zip(pw["output"], pg["output"])):
                bad.append(f"{tag}: outputs differ")
    assert not bad, f"{len(bad)} differences:\n" + "\n".join(bad[:30])

if __name__ == "__main__":
    if "--record" not in sys.argv: sys.exit(__doc__)
    torch.set_num_threads(2)
    FIXTURE.write_text(json.dumps(record(), indent=0))
    print(f"wrote {FIXTURE}")
