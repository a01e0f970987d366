"""Measure the trained model: held-out fixture NLL, fixed-temperature drift, cheap-proxy quality.

Usage: /usr/bin/python3 training/evaluate.py --model models/<name>
Writes models/<name>/evaluation.json and test/fixtures/heldout.txt (the text whose NLL the JS
test suite recomputes through onnxruntime, proving the shipped file is the trained one).

Drift: from a fixed prompt, B continuations x N tokens at each fixed T. Per position t the
marginal entropy H(p_bar_t), p_bar_t = mean over rows of the T-scaled next-token distributions,
and the mean conditional entropy mean_b H(p_b,t); both averaged over windows, with bootstrap
standard errors from resampling rows (the rows are the independent units).
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import bpe  # noqa: E402
from export import load  # noqa: E402

WINDOWS = [(0, 50), (50, 300), (300, 1000)]
PROMPT = "And it came to pass"


def entropy_rows(logp):
    return -(logp.exp() * logp).sum(-1)


def ranks(x):
    r = np.empty(len(x))
    r[np.argsort(x, kind="stable")] = np.arange(len(x))
    return r


def pearson(a, b):
    return float(np.corrcoef(a, b)[0, 1])


@torch.no_grad()
def rollout(model, prompt_ids, temperature, batch, tokens, gen, boot_weights, collect_stats):
    """Sample `batch` continuations; return per-position marginal/conditional entropies and bootstraps."""
    ids = torch.tensor(prompt_ids).unsqueeze(0).expand(batch, -1)
    logits, past = model(ids)
    z = logits[:, -1]
    marg, cond = np.zeros(tokens), np.zeros(tokens)
    boot_marg = np.zeros((boot_weights.shape[0], tokens))
    boot_cond = np.zeros((boot_weights.shape[0], tokens))
    stats = []
    for t in range(tokens):
        logp = torch.log_softmax(z / temperature, dim=-1)
        p = logp.exp()
        h = entropy_rows(logp)
        pbar = p.mean(0)
        marg[t] = float(-(pbar * torch.log(pbar.clamp_min(1e-30))).sum())
        cond[t] = float(h.mean())
        pb = boot_weights @ p  # [R, V]: mean distribution of each resample
        boot_marg[:, t] = (-(pb * torch.log(pb.clamp_min(1e-30))).sum(-1)).numpy()
        boot_cond[:, t] = (boot_weights @ h).numpy()
        if collect_stats:
            mean, std, mx = z.mean(-1), z.std(-1, unbiased=False), z.max(-1).values
            stats.append(torch.stack([std ** 2, std, (mx - mean) / std, mx - torch.logsumexp(z, -1), h], -1))
        nxt = torch.multinomial(p, 1, generator=gen)
        pos = torch.full((batch, 1), len(prompt_ids) + t, dtype=torch.long)
        logits, past = model(nxt, position_ids=pos, past=past)
        z = logits[:, -1]
    return marg, cond, boot_marg, boot_cond, (torch.cat(stats).numpy() if collect_stats else None)


def window_table(series, boot):
    out = {}
    for a, b in WINDOWS:
        out[f"{a}-{b}"] = {"mean": round(float(series[a:b].mean()), 4), "se": round(float(boot[:, a:b].mean(1).std()), 4)}
    return out


@torch.no_grad()
def fixture_nll(model, ids):
    x = torch.tensor(ids).unsqueeze(0)
    logits, _ = model(x[:, :-1])
    return float(torch.nn.functional.cross_entropy(logits[0], x[0, 1:]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--batch", type=int, default=30)
    ap.add_argument("--tokens", type=int, default=1000)
    ap.add_argument("--temperatures", default="0.6,0.8,1.0,1.2")
    ap.add_argument("--bootstrap", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(2)
    model, cfg = load(args.model)
    with open(os.path.join(args.model, "tokenizer.json")) as f:
        tok = json.load(f)["model"]
    enc = bpe.Encoder(tok["vocab"], [tuple(m.split(" ")) for m in tok["merges"]])

    # Held-out fixture: the start of the first validation chapter, one context window long.
    work = os.path.join(os.path.dirname(__file__), "work")
    with open(os.path.join(work, "valid.txt")) as f:
        chapter = f.read().split("\n")[0]
    ids = enc.encode(chapter)[: cfg["n_positions"]]
    text = bpe_decode(tok["vocab"], ids)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.makedirs(os.path.join(root, "test", "fixtures"), exist_ok=True)
    with open(os.path.join(root, "test", "fixtures", "heldout.txt"), "w") as f:
        f.write(text)
    assert enc.encode(text) == ids, "fixture text must re-encode to the same tokens"
    nll = fixture_nll(model, ids)
    print(f"fixture: {len(ids)} tokens, mean NLL {nll:.4f} nats/token", flush=True)

    prompt_ids = enc.encode(PROMPT)
    gen = torch.Generator().manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    boot = np.stack([np.bincount(rng.integers(0, args.batch, args.batch), minlength=args.batch) for _ in range(args.bootstrap)])
    boot_w = torch.tensor(boot / args.batch, dtype=torch.float32)
    drift = {}
    proxy = None
    for T in [float(x) for x in args.temperatures.split(",")]:
        marg, cond, bm, bc, stats = rollout(model, prompt_ids, T, args.batch, args.tokens, gen, boot_w, T == 1.0)
        drift[str(T)] = {"marginal": window_table(marg, bm), "conditional": window_table(cond, bc),
                         "marginal_curve": [round(float(v), 3) for v in marg]}
        print(f"T={T}: " + "  ".join(f"{k} marg {v['mean']:.2f}±{v['se']:.2f}" for k, v in drift[str(T)]["marginal"].items()), flush=True)
        if stats is not None:
            h = stats[:, 4]
            names = ["variance", "std", "(max-mean)/std", "max-logsumexp"]
            proxy = {n: {"pearson": round(pearson(stats[:, i], h), 3), "spearman": round(pearson(ranks(stats[:, i]), ranks(h)), 3)}
                     for i, n in enumerate(names)}
            print("proxy correlations at T=1:", json.dumps(proxy), flush=True)

    result = {
        "fixture": {"path": "test/fixtures/heldout.txt", "tokens": len(ids), "mean_nll": round(nll, 4)},
        "drift": {"prompt": PROMPT, "batch": args.batch, "tokens": args.tokens, "seed": args.seed,
                  "bootstrap": args.bootstrap, "by_temperature": drift},
        "proxy_correlation_T1": proxy,
    }
    with open(os.path.join(args.model, "evaluation.json"), "w") as f:
        json.dump(result, f, indent=1)


def bpe_decode(vocab, ids):
    inv = {i: t for t, i in vocab.items()}
    byte_of = {c: b for b, c in bpe.BYTE_MAP.items()}
    return bytes(byte_of[c] for i in ids for c in inv[i]).decode("utf-8")


if __name__ == "__main__":
    main()
