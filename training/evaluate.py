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
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import bpe  # noqa: E402
from export import load  # noqa: E402
import arch  # noqa: E402

WINDOWS = [(0, 10), (10, 50), (50, 300), (300, 1000)]
PROMPT = "And it came to pass"


class Decoder:
    """Batched token-by-token decoding over a preallocated KV cache, for either architecture.

    model.forward concatenates the cache along the sequence axis every step; Debian's torch 1.13
    does that (and strided copies) at ~150 MB/s, which made a 30 x 1000-token rollout take 20 min.
    Writing each new key/value into a preallocated buffer and attending over a view of it costs
    one [B, kv_heads, 1, head_dim] copy per layer instead. The model's own `decode` runs the layers
    (same weights, same arithmetic as its forward); this keeps the cache.
    """

    def __init__(self, model, batch, length):
        cfg = model.cfg
        self.model = model
        shape = (batch, arch.kv_heads(cfg), length, cfg["n_embd"] // cfg["n_head"])
        self.k = [torch.empty(shape) for _ in range(cfg["n_layer"])]
        self.v = [torch.empty(shape) for _ in range(cfg["n_layer"])]
        self.n = 0

    @torch.no_grad()
    def step(self, ids):
        """ids [B, s] -> logits of the last position [B, V]; appends s positions to the cache."""
        b, s = ids.shape
        p = self.n
        pos = torch.arange(p, p + s).unsqueeze(0).expand(b, s)
        allowed = torch.ones(s, p + s, dtype=torch.bool).tril(diagonal=p)
        bias = torch.zeros(s, p + s).masked_fill(~allowed, torch.finfo(torch.float32).min)

        def cached(i, k, v):
            """Layer i's keys/values over the whole cache, with this step's written in."""
            self.k[i][:, :, p:p + s] = k
            self.v[i][:, :, p:p + s] = v
            return self.k[i][:, :, :p + s], self.v[i][:, :, :p + s]

        logits = self.model.decode(ids, pos, bias, cached)
        self.n = p + s
        return logits


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
    decoder = Decoder(model, batch, len(prompt_ids) + tokens)
    z = decoder.step(ids)
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
        z = decoder.step(nxt)
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
    # One thread: batch-30 single-token steps are too small to gain from two, and OpenMP's
    # spinning threads slow to a crawl when another process holds a core.
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
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
