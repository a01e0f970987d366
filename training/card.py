"""Render models/<name>/README.md from training.json and evaluation.json (numbers are never typed).

Usage: /usr/bin/python3 training/card.py --model models/<name>
"""
import argparse
import json
import os

TEMPLATE = """# {name}

A small {family}-architecture causal language model trained from scratch by `training/` in this
repository, so that isentropic runs, and its claims can be checked, on a machine with no network.
It is a toy: it writes King-James-flavoured English, not answers. Every number below is generated
by the pipeline (`training/card.py`); rerun it rather than editing this file.

| | |
|---|---|
| architecture | {architecture} |
| parameters | {params:,} |
| context | {n_positions} positions (trained at full context in its last {long_steps} steps, see below) |
| tokenizer | byte-level BPE (GPT-2 pre-tokenizer), {vocab} tokens incl. `<|endoftext|>` (id 0), trained by `training/bpe.py` |
| corpus | King James Bible (1611) from Debian's `bible-kjv-text` (read with `bible-kjv`): public domain; the package carries Chip Chapin's "unrestricted use" legend. {train_tokens:,} training tokens; every 20th chapter held out ({valid_tokens:,} validation tokens scored) |
| files | `config.json`, `tokenizer.json`, `tokenizer_config.json` (with a plain-text chat template), `onnx/model.onnx` ({onnx_mib:.1f} MiB, fp32) |
| training | {minutes:.0f} min on {threads} CPU threads (2-core AMD EPYC VM), PyTorch {torch}, {tokens_seen:,} tokens seen |

## Quality

| | nats/token | bits/char |
|---|---|---|
| this model, validation | **{nll:.3f}** | **{bpc:.3f}** |
| unigram baseline (training counts, add-one) | {uni:.3f} | {uni_bpc:.3f} |

({cpt:.2f} characters per token on validation text.) Export parity, checked by the pipeline on
{parity_tokens} validation tokens: onnxruntime vs PyTorch logits max |diff| {parity_torch:.1e};
KV-cache incremental decoding vs one full forward max |diff| {parity_inc:.1e} (tolerance 1e-3). The training curve is in `training.json`.
Held-out fixture `{fixture_path}` ({fixture_tokens} tokens): mean NLL **{fixture_nll:.4f}** nats/token,
recomputed through onnxruntime by `npm test`.
{variants}
Training: {short_steps} steps on {short_len}-token windows at random position offsets (so every
position trains at a quarter of the cost), then {long_steps} steps on full {n_positions}-token
windows; AdamW, lr {lr} with warm-up and cosine decay, seed {seed}.

## Fixed temperature drifts

From the prompt "{prompt}", {batch} continuations x {tokens} tokens at each fixed T (seed {dseed}).
Marginal entropy H(p̄_t) with p̄_t the mean of the {batch} temperature-scaled next-token
distributions at position t, and the mean conditional entropy mean_b H(p_b,t), averaged over
windows; ± is the bootstrap standard error over rows ({bootstrap} resamples).

{drift_header}
{drift_rows}

{drift_summary}

## Do cheap logit statistics predict entropy?

Over all (row, position) pairs of the T=1 rollout above ({n_pairs:,} pairs), correlation of each
statistic of the raw logits with the exact entropy of softmax(z):

| statistic | Pearson | Spearman |
|---|---|---|
{proxy_rows}

## Reproduce

```sh
apt-get install -y python3-torch python3-onnx python3-regex libopenblas0-pthread bible-kjv bible-kjv-text
npm install          # onnxruntime-node for the parity check
{build}   # train, export, check parity, evaluate, write this card
```
"""


def variants_section(d):
    """The weight variants' table, from variants.json (training/loss.mjs); empty without it."""
    path = os.path.join(d, "variants.json")
    if not os.path.exists(path):
        return ""
    v = json.load(open(path))
    rows = []
    for f in v["files"]:
        kv = "float16" if "quantized" in f["file"] else "float32"
        cost = f"{f['loss_cost_percent']:+.3f} %" if "loss_cost_percent" in f else "—"
        kl = f"{f['mean_kl_vs_fp32']:.1e}" if "mean_kl_vs_fp32" in f else "—"
        dh = f"{f['mean_entropy_diff_vs_fp32']:+.1e}" if "mean_entropy_diff_vs_fp32" in f else "—"
        fits = "its own" if "loss_cost_percent" not in f else (f"the export's (`{f['inherits_fits_of']}`)" if f.get("inherits_fits_of") else "none (refit it)")
        rows.append(f"| `{f['file']}` | `{f['model_id']}` | {f['bytes'] / 2**20:.1f} MiB | {kv} | {f['valid_nll']:.4f} | {cost} | {kl} | {dh} | {fits} |")
    return (
        "\n## Weight variants\n\n"
        f"Scored by `{v['command']}` on the validation stream ({v['validation']['tokens_scored']:,} tokens, "
        f"{v['validation']['window']}-token windows), variants {v['variants_scored']}; {v['runtime']}. "
        f"Rule: {v['inheritance_rule']}. `MODEL_DTYPE=q8` serves `onnx/model_quantized.onnx` (the Worker's default).\n\n"
        "| file | model id | size | KV cache | valid NLL | loss cost | mean KL vs fp32 | mean ΔH (T = 1) | fitted schedules |\n"
        "|---|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )


def architecture(cfg):
    """(family, one table cell) for the card, from training.json's config."""
    if cfg.get("arch") == "llama":
        return "Llama", (
            f"Llama (`model_type: llama`), {cfg['n_layer']} layers, {cfg['n_head']} query heads sharing "
            f"{cfg['n_kv_head']} key/value heads (grouped-query attention), d_model {cfg['n_embd']}, "
            f"SwiGLU feed-forward {cfg['n_ffn']}, RMSNorm, rotary positions (θ = {cfg['rope_theta']:g}), tied embeddings"
        )
    return "GPT-2", (
        f"GPT-2 (`model_type: gpt2`), {cfg['n_layer']} layers, {cfg['n_head']} heads, d_model {cfg['n_embd']}, "
        "GELU (tanh), learned positions, tied embeddings"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    args = ap.parse_args()
    d = args.model
    tr = json.load(open(os.path.join(d, "training.json")))
    ev = json.load(open(os.path.join(d, "evaluation.json")))
    parity = json.load(open(os.path.join(d, "parity.json")))
    cfg = tr["config"]
    dr = ev["drift"]
    windows = list(next(iter(dr["by_temperature"].values()))["marginal"])
    span = lambda w: "[" + w.replace("-", ",") + ")"  # noqa: E731
    header = ["T"] + [f"marginal {span(w)}" for w in windows] + [f"conditional {span(w)}" for w in windows]
    drift_header = "| " + " | ".join(header) + " |\n" + "|---" * len(header) + "|"
    rows = []
    for T, v in dr["by_temperature"].items():
        m, c = v["marginal"], v["conditional"]
        cells = [f"{m[w]['mean']:.2f} ± {m[w]['se']:.2f}" for w in m] + [f"{c[w]['mean']:.2f} ± {c[w]['se']:.2f}" for w in c]
        rows.append(f"| {T} | " + " | ".join(cells) + " |")
    first, second, last = windows[0], windows[1], windows[-1]
    early = [v["marginal"][last]["mean"] - v["marginal"][first]["mean"] for v in dr["by_temperature"].values()]
    late = {T: v["marginal"][last]["mean"] - v["marginal"][second]["mean"] for T, v in dr["by_temperature"].items()}
    drift_summary = (
        f"What drifts: at every T the marginal entropy of the first positions {span(first)} sits "
        f"{min(early):.2f}–{max(early):.2f} nats below its level over {span(last)} (every row conditions "
        f"on the same prompt, so at t = 0 marginal equals conditional entropy and diversity must build up). "
        f"After that, from {span(second)} to {span(last)} the change is "
        + ", ".join(f"{d:+.2f} nats at T = {T}" for T, d in late.items())
        + ": a fixed T that matches a target on average misses it at the start, and by a different amount at each T."
    )
    proxy_rows = [f"| {k} | {v['pearson']:+.3f} | {v['spearman']:+.3f} |" for k, v in ev["proxy_correlation_T1"].items()]
    variants = variants_section(d)
    family, arch_cell = architecture(cfg)
    a = tr["args"]
    flags = [("--arch", a.get("arch", "gpt2")), ("--d", a["d"]), ("--layers", a["layers"]), ("--heads", a["heads"])]
    if a.get("kv_heads"):
        flags.append(("--kv-heads", a["kv_heads"]))
    flags += [("--short-steps", a["short_steps"]), ("--long-steps", a["long_steps"])]
    build_cmd = f"MODEL={os.path.normpath(d)} bash training/build.sh " + " ".join(f"{k} {v}" for k, v in flags)
    text = TEMPLATE.format(
        family=family, architecture=arch_cell, build=build_cmd,
        name=os.path.basename(os.path.normpath(d)), params=tr["parameters"], vocab=cfg["vocab_size"],
        n_positions=cfg["n_positions"],
        long_steps=tr["args"]["long_steps"], short_steps=tr["args"]["short_steps"], short_len=tr["args"]["short_len"],
        lr=tr["args"]["lr"], seed=tr["args"]["seed"],
        train_tokens=tr["train_tokens"], valid_tokens=tr["valid_tokens_scored"],
        onnx_mib=os.path.getsize(os.path.join(d, "onnx", "model.onnx")) / 2**20,
        minutes=tr["train_seconds"] / 60, threads=tr["threads"], torch=tr["torch"], tokens_seen=tr["tokens_seen"],
        nll=tr["valid_nll_nats_per_token"], bpc=tr["valid_bits_per_char"], uni=tr["unigram_nll_nats_per_token"],
        uni_bpc=tr["unigram_bits_per_char"], cpt=tr["chars_per_token"],
        fixture_path=ev["fixture"]["path"], fixture_tokens=ev["fixture"]["tokens"], fixture_nll=ev["fixture"]["mean_nll"],
        prompt=dr["prompt"], batch=dr["batch"], tokens=dr["tokens"], dseed=dr["seed"], bootstrap=dr["bootstrap"],
        parity_tokens=parity["tokens"], parity_torch=parity["max_abs_onnx_vs_torch"],
        parity_inc=parity["max_abs_incremental_vs_full"],
        variants=variants, drift_header=drift_header, drift_summary=drift_summary, drift_rows="\n".join(rows), proxy_rows="\n".join(proxy_rows), n_pairs=dr["batch"] * dr["tokens"],
    )
    with open(os.path.join(d, "README.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
