"""Prune time of the default allocation choice against the choice before the sensitivity allocation joined it.

    python bench/prune_cost.py --nets crepe,efficientnet,minilm,fmnist-vgg,fmnist-resnet --rounds 2

One calibration per network (`snp-realnets`' networks and data). Each round prunes to every budget of the network
with `allocation=("variance", "error")` and then with the default, `("variance", "error", "sensitivity")`, whose first
budget measures the sensitivities (the cache is cleared before each round, so every round pays for them once). The
best time of each is kept; the ratio is default / before, both from one process, so a busy machine moves both.
"""
import math, time, warnings
from fastcore.script import call_parse

@call_parse
def main(nets:str="crepe,efficientnet,minilm", # comma-separated networks of `snp-realnets`
         rounds:int=2, # alternations of the two settings; the best time of each is kept
         threads:int=1, # torch CPU threads
        ):
    "Print, per network, the time to prune to all its budgets with and without the sensitivity candidate, and the ratio."
    import torch
    from subspace_nbdev.pruner import SubspacePruner
    from subspace_nbdev.experiments.realnets_networks import NETS
    torch.set_num_threads(threads); warnings.simplefilter("ignore")
    for name in nets.split(","):
        net = NETS[name](); net = net[0] if isinstance(net, list) else net
        p = SubspacePruner(net.model, net.example).calibrate(net.calib, max_samples=None, progress=False)
        best = {"before": math.inf, "default": math.inf}
        for _ in range(rounds):
            for label, alloc in (("before", ("variance", "error")), ("default", None)):
                for f in p._factors_for(p.ordering): f.__dict__.pop("_sensitivities", None)
                t = time.perf_counter()
                for b in net.budgets: p.prune(macs=b, allocation=alloc)
                best[label] = min(best[label], time.perf_counter() - t)
        print(f"{name}: {len(net.budgets)} budgets, {len(p.units)} groups: before {best['before']:.1f} s, "
              f"default {best['default']:.1f} s, ratio {best['default'] / best['before']:.2f}x", flush=True)
