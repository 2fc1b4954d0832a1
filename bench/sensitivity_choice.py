"""What the `sensitivity` candidate changes in the default's allocation choice: per network and budget, the allocation
each setting takes, its held-out measure, and the prune time, against the choice before it joined
(`allocation=("variance", "error")`).

    python bench/sensitivity_choice.py --nets crepe,efficientnet,minilm,fmnist-vgg,fmnist-resnet --rounds 1

One calibration per network (`snp-realnets`' networks and data; the Fashion-MNIST nets: one run per seed). Each round
prunes to every budget with the previous choice and then with the default, whose first budget measures the
sensitivities (the cache is cleared before each round, so every round pays for them once). The best time of each is
kept; the ratio is default / before, both from one process, so a busy machine moves both.
"""
import math, time, warnings
from fastcore.script import call_parse

@call_parse
def main(nets:str="crepe,efficientnet,minilm", # comma-separated networks of `snp-realnets`
         rounds:int=1, # alternations of the two settings; the best time of each is kept
         threads:int=1, # torch CPU threads
        ):
    "Print, per network and budget, the allocation and held-out measure with and without the sensitivity candidate, and the prune-time ratio."
    import torch
    from subspace_nbdev.pruner import SubspacePruner
    from subspace_nbdev.experiments.realnets_networks import NETS
    from subspace_nbdev.experiments.realnets_run import _cat
    torch.set_num_threads(threads); warnings.simplefilter("ignore")
    for name in nets.split(","):
        runs = NETS[name]()
        for net in runs if isinstance(runs, list) else [runs]:
            dense = _cat(net.model, net.held)
            p = SubspacePruner(net.model, net.example).calibrate(net.calib, max_samples=None, progress=False)
            best, rows = {"before": math.inf, "default": math.inf}, {}
            for _ in range(rounds):
                for label, alloc in (("before", ("variance", "error")), ("default", None)):
                    for f in p._factors_for(p.ordering): f.__dict__.pop("_sensitivities", None)
                    t, out = time.perf_counter(), []
                    for b in net.budgets: out.append((b, *p.prune(macs=b, allocation=alloc)))
                    best[label] = min(best[label], time.perf_counter() - t)
                    rows[label] = [(b, rep.allocation, net.measure(dense, _cat(m, net.held))[net.primary]) for b, m, rep in out]
            for (b, a0, v0), (_, a1, v1) in zip(rows["before"], rows["default"]):
                print(f"{net.name} @ {b}: before {a0} {v0:.4g}, default {a1} {v1:.4g}", flush=True)
            print(f"{net.name}: {len(net.budgets)} budgets, {len(p.units)} groups: prune time before {best['before']:.1f} s, "
                  f"default {best['default']:.1f} s, ratio {best['default'] / best['before']:.2f}x", flush=True)
