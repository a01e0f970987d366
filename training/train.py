"""Train the default model: corpus -> BPE tokenizer -> GPT -> checkpoint + training curve.

Usage (from the repo root): /usr/bin/python3 training/train.py --out models/<name>
Deterministic for a given seed on one machine: data windows are drawn from a seeded
generator and torch is seeded; wall time only changes how long it takes.

Two phases, both counted in fixed steps: most steps use 256-token windows at random position
offsets (4x cheaper per token than full context on this CPU, and every one of the 1024 position
embeddings still gets trained), then the last steps train at full 1024-token context so that
attention over a whole long generation is learned, not extrapolated.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import bpe  # noqa: E402
import corpus  # noqa: E402
import arch  # noqa: E402


def windows(rng, stream, batch, length):
    starts = rng.integers(0, len(stream) - length - 1, size=batch)
    x = np.stack([stream[s:s + length + 1] for s in starts])
    return torch.from_numpy(x)


@torch.no_grad()
def evaluate(model, valid, length, max_windows):
    """Mean NLL (nats/token) over consecutive full-context windows of the validation stream."""
    model.eval()
    total, count = 0.0, 0
    n = min(max_windows, (len(valid) - 1) // length)
    for i in range(n):
        x = torch.from_numpy(valid[i * length:(i + 1) * length + 1]).unsqueeze(0)
        logits, _ = model(x[:, :-1])
        total += F.cross_entropy(logits[0], x[0, 1:], reduction="sum").item()
        count += length
    model.train()
    return total / count


def unigram_nll(train, valid, vocab_size):
    """Cross-entropy of the add-one-smoothed training unigram distribution on validation tokens."""
    counts = np.bincount(train, minlength=vocab_size).astype(np.float64) + 1.0
    logp = np.log(counts / counts.sum())
    return float(-logp[valid].mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--d", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--arch", choices=arch.ARCHS, default="gpt2")
    ap.add_argument("--kv-heads", type=int, default=None, help="llama: key/value heads (grouped-query attention)")
    ap.add_argument("--ffn", type=int, default=None, help="llama: SwiGLU hidden size (default 8/3 d, rounded to 64)")
    ap.add_argument("--context", type=int, default=1024)
    ap.add_argument("--short-steps", type=int, default=600)
    ap.add_argument("--short-len", type=int, default=256)
    ap.add_argument("--short-batch", type=int, default=16)
    ap.add_argument("--long-steps", type=int, default=150)
    ap.add_argument("--long-batch", type=int, default=4)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--eval-every", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    work = os.path.join(os.path.dirname(__file__), "work")
    os.makedirs(work, exist_ok=True)

    t0 = time.time()
    train_docs, valid_docs = corpus.split()
    vocab, merges = bpe.train(train_docs, args.vocab)
    bpe.save(args.out, vocab, merges, args.context)
    enc = bpe.Encoder(vocab, merges)
    eos = vocab[bpe.EOS]
    train = corpus.encode_docs(enc, train_docs, eos)
    valid = corpus.encode_docs(enc, valid_docs, eos)
    valid_chars = sum(len(d) + 1 for d in valid_docs)  # +1: the end-of-text separator counts as a char
    np.save(os.path.join(work, "valid.npy"), valid)
    with open(os.path.join(work, "valid.txt"), "w") as f:
        f.write("\n".join(valid_docs))
    print(f"tokenizer: {len(vocab)} tokens, train {len(train)} tok, valid {len(valid)} tok "
          f"({valid_chars / len(valid):.2f} chars/tok), {time.time() - t0:.0f}s", flush=True)

    cfg = dict(vocab_size=len(vocab), n_positions=args.context, n_embd=args.d, n_layer=args.layers, n_head=args.heads)
    if args.arch == "llama":
        ffn = args.ffn or 64 * round(8 * args.d / 3 / 64)
        cfg.update(arch="llama", n_kv_head=args.kv_heads or args.heads, n_ffn=ffn, rms_norm_eps=1e-5, rope_theta=10000.0)
    model = arch.build(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))
    total_steps = args.short_steps + args.long_steps

    def lr_at(step):
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        frac = (step - args.warmup) / max(1, total_steps - args.warmup)
        return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))

    curve = []
    t_train = time.time()
    tokens_seen = 0
    for step in range(total_steps):
        short = step < args.short_steps
        length = args.short_len if short else args.context
        batch = args.short_batch if short else args.long_batch
        x = windows(rng, train, batch, length)
        offset = int(rng.integers(0, args.context - length + 1)) if short else 0
        pos = torch.arange(offset, offset + length).unsqueeze(0).expand(batch, length)
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        logits, _ = model(x[:, :-1], position_ids=pos)
        loss = F.cross_entropy(logits.reshape(-1, cfg["vocab_size"]), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        tokens_seen += batch * length
        if (step + 1) % args.eval_every == 0 or step + 1 == total_steps:
            val = evaluate(model, valid, args.context, max_windows=24)
            el = time.time() - t_train
            curve.append({"step": step + 1, "tokens": tokens_seen, "seconds": round(el, 1),
                          "train_loss": round(loss.item(), 4), "valid_loss": round(val, 4)})
            print(f"step {step + 1}/{total_steps} ctx {length} train {loss.item():.3f} valid {val:.3f} "
                  f"{tokens_seen / el:.0f} tok/s {el / 60:.1f} min", flush=True)

    train_seconds = time.time() - t_train
    valid_nll = evaluate(model, valid, args.context, max_windows=10_000)
    uni = unigram_nll(train, valid, cfg["vocab_size"])
    n_valid = ((len(valid) - 1) // args.context) * args.context
    chars_per_tok = valid_chars / len(valid)
    summary = {
        "parameters": n_params,
        "config": cfg,
        "args": vars(args),
        "train_tokens": int(len(train)),
        "valid_tokens_scored": int(n_valid),
        "chars_per_token": round(chars_per_tok, 4),
        "valid_nll_nats_per_token": round(valid_nll, 4),
        "valid_bits_per_char": round(valid_nll / math.log(2) / chars_per_tok, 4),
        "unigram_nll_nats_per_token": round(uni, 4),
        "unigram_bits_per_char": round(uni / math.log(2) / chars_per_tok, 4),
        "train_seconds": round(train_seconds),
        "tokens_seen": tokens_seen,
        "torch": torch.__version__,
        "threads": args.threads,
        "curve": curve,
    }
    with open(os.path.join(args.out, "training.json"), "w") as f:
        json.dump(summary, f, indent=1)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(arch.hf_config(cfg, eos), f, indent=2)
    torch.save(model.state_dict(), arch.checkpoint(args.out))
    print(json.dumps({k: v for k, v in summary.items() if k != "curve"}, indent=1))


if __name__ == "__main__":
    main()
