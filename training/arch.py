"""The architectures training/ builds, chosen by one config key: the only place that knows both.

train.py, export.py and evaluate.py call these instead of naming a model class, so a Llama and a
GPT-2 go through the same pipeline (tokenizer, windows, export, parity, drift, card).
"""
import os

import llama
import model as gpt2

ARCHS = ("gpt2", "llama")


def build(cfg):
    return llama.Llama(cfg) if cfg.get("arch") == "llama" else gpt2.GPT(cfg)


def hf_config(cfg, eos_id):
    return llama.hf_config(cfg, eos_id) if cfg.get("arch") == "llama" else gpt2.hf_config(cfg, eos_id)


def cfg_from_hf(hf):
    if hf.get("model_type") == "llama":
        return llama.cfg_from_hf(hf)
    return {"arch": "gpt2", **{k: hf[k] for k in ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head")}}


def kv_heads(cfg):
    """Heads in the KV cache: fewer than attention heads under grouped-query attention."""
    return cfg.get("n_kv_head", cfg["n_head"])


def checkpoint(model_dir):
    """Where train.py leaves the weights for export.py and evaluate.py: one file per model."""
    work = os.path.join(os.path.dirname(__file__), "work", os.path.basename(os.path.normpath(model_dir)))
    os.makedirs(work, exist_ok=True)
    return os.path.join(work, "model.pt")
