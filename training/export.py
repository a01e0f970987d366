"""Export the trained GPT to Hugging Face ONNX layout with a KV cache, plus a parity fixture.

Usage: /usr/bin/python3 training/export.py --model models/<name>
Writes models/<name>/onnx/model.onnx with the inputs and outputs that Hugging Face's
ONNX exports of decoder-only models use (optimum's "text-generation-with-past"):
  inputs  input_ids [b, s], attention_mask [b, past + s], position_ids [b, s],
          past_key_values.{i}.key / .value [b, heads, past, head_dim]
  outputs logits [b, s, V], present.{i}.key / .value [b, heads, past + s, head_dim]
All batch, sequence and past axes are dynamic. Also writes training/work/parity.json: PyTorch
logits for a fixed prompt, full-sequence and token-by-token, which check-onnx.mjs compares
against onnxruntime.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import arch  # noqa: E402


class WithPast(torch.nn.Module):
    """Flat-argument wrapper: torch.onnx.export cannot trace nested past tuples into named inputs."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.n_layer = model.cfg["n_layer"]

    def forward(self, input_ids, attention_mask, position_ids, *flat_past):
        past = [(flat_past[2 * i], flat_past[2 * i + 1]) for i in range(self.n_layer)]
        logits, presents = self.model(input_ids, attention_mask, position_ids, past)
        out = [logits]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


def load(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        hf = json.load(f)
    cfg = arch.cfg_from_hf(hf)
    model = arch.build(cfg)
    model.load_state_dict(torch.load(arch.checkpoint(model_dir)))
    model.eval()
    return model, cfg


def export(model, cfg, path):
    L, H, hd = cfg["n_layer"], arch.kv_heads(cfg), cfg["n_embd"] // cfg["n_head"]
    b, s, p = 2, 3, 4
    ids = torch.randint(0, cfg["vocab_size"], (b, s))
    mask = torch.ones(b, p + s, dtype=torch.long)
    pos = torch.arange(p, p + s).unsqueeze(0).expand(b, s)
    past = [torch.randn(b, H, p, hd) for _ in range(2 * L)]
    names_past = [f"past_key_values.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    names_present = [f"present.{i}.{kv}" for i in range(L) for kv in ("key", "value")]
    dyn = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for n in names_past:
        dyn[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in names_present:
        dyn[n] = {0: "batch_size", 2: "total_sequence_length"}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            WithPast(model), (ids, mask, pos, *past), path,
            input_names=["input_ids", "attention_mask", "position_ids", *names_past],
            output_names=["logits", *names_present],
            dynamic_axes=dyn, opset_version=14, do_constant_folding=True,
        )


@torch.no_grad()
def parity_fixture(model, valid_ids, n_tokens):
    ids = torch.tensor(valid_ids[:n_tokens], dtype=torch.long).unsqueeze(0)
    full, _ = model(ids)
    past, steps = None, []
    for t in range(n_tokens):
        logits, past = model(ids[:, t:t + 1], past=past)
        steps.append(logits[0, 0])
    inc = torch.stack(steps)
    return {
        "input_ids": ids[0].tolist(),
        "full_logits": full[0].flatten().tolist(),
        "max_abs_full_vs_incremental_torch": float((full[0] - inc).abs().max()),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--parity-tokens", type=int, default=48)
    args = ap.parse_args()
    torch.set_num_threads(2)
    model, cfg = load(args.model)
    path = os.path.join(args.model, "onnx", "model.onnx")
    export(model, cfg, path)
    valid = np.load(os.path.join(os.path.dirname(__file__), "work", "valid.npy"))
    fixture = parity_fixture(model, valid.tolist(), args.parity_tokens)
    with open(os.path.join(os.path.dirname(__file__), "work", "parity.json"), "w") as f:
        json.dump(fixture, f)
    print(f"exported {path} ({os.path.getsize(path) / 2**20:.2f} MiB); torch full vs incremental "
          f"max |diff| = {fixture['max_abs_full_vs_incremental_torch']:.2e}")


if __name__ == "__main__":
    main()
