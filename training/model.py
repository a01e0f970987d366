"""A GPT-2 (Radford et al. 2019) in plain PyTorch 1.13, with the Hugging Face KV-cache interface.

The module's parameter names and shapes follow `GPT2LMHeadModel` (transformer.h.{i}.attn.c_attn
as a Conv1D-style [in, out] weight, tied lm_head), so the exported config.json describes it
exactly. `forward` takes and returns past key/values as [batch, heads, past, head_dim], the layout
ONNX exports of Hugging Face causal LMs use.
"""
import math

import torch
from torch import nn


def gelu_new(x):
    # GPT-2's tanh approximation ("gelu_new" in Hugging Face configs)
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Conv1D(nn.Module):
    """GPT-2's linear layer: weight stored [in, out]."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out).normal_(std=0.02))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).reshape(*x.shape[:-1], -1)


class Attention(nn.Module):
    def __init__(self, d, n_head, n_layer):
        super().__init__()
        self.n_head, self.head_dim = n_head, d // n_head
        self.c_attn = Conv1D(d, 3 * d)
        self.c_proj = Conv1D(d, d)
        # GPT-2's scaled init of residual projections
        nn.init.normal_(self.c_proj.weight, std=0.02 / math.sqrt(2 * n_layer))

    def forward(self, x, bias, past_k, past_v):
        b, s, d = x.shape
        q, k, v = self.c_attn(x).split(d, dim=2)
        q, k, v = (t.view(b, s, self.n_head, self.head_dim).transpose(1, 2) for t in (q, k, v))
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        # scaling q rather than the [s, past + s] scores saves a full pass over the largest tensor
        att = (q * (1.0 / math.sqrt(self.head_dim))) @ k.transpose(-1, -2) + bias
        y = torch.softmax(att, dim=-1) @ v
        y = y.transpose(1, 2).reshape(b, s, d)
        return self.c_proj(y), k, v


class MLP(nn.Module):
    def __init__(self, d, n_layer):
        super().__init__()
        self.c_fc = Conv1D(d, 4 * d)
        self.c_proj = Conv1D(4 * d, d)
        nn.init.normal_(self.c_proj.weight, std=0.02 / math.sqrt(2 * n_layer))

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, d, n_head, n_layer):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=1e-5)
        self.attn = Attention(d, n_head, n_layer)
        self.ln_2 = nn.LayerNorm(d, eps=1e-5)
        self.mlp = MLP(d, n_layer)

    def forward(self, x, bias, past_k, past_v):
        a, k, v = self.attn(self.ln_1(x), bias, past_k, past_v)
        x = x + a
        return x + self.mlp(self.ln_2(x)), k, v


class Transformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["n_embd"]
        self.wte = nn.Embedding(cfg["vocab_size"], d)
        self.wpe = nn.Embedding(cfg["n_positions"], d)
        nn.init.normal_(self.wte.weight, std=0.02)
        nn.init.normal_(self.wpe.weight, std=0.01)
        self.h = nn.ModuleList([Block(d, cfg["n_head"], cfg["n_layer"]) for _ in range(cfg["n_layer"])])
        self.ln_f = nn.LayerNorm(d, eps=1e-5)


class GPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.transformer = Transformer(cfg)

    @torch.no_grad()
    def decode(self, ids, position_ids, bias, cached):
        """Logits of the last position [b, V]; `cached(i, k, v)` stores layer i's new keys/values
        and returns the whole cache (evaluate.Decoder keeps it preallocated)."""
        t = self.transformer
        b, s = ids.shape
        x = t.wte(ids) + t.wpe(position_ids)
        for i, block in enumerate(t.h):
            a = block.attn
            q, k, v = a.c_attn(block.ln_1(x)).split(x.shape[-1], dim=2)
            q, k, v = (u.view(b, s, a.n_head, a.head_dim).transpose(1, 2) for u in (q, k, v))
            kk, vv = cached(i, k, v)
            att = (q * (1.0 / math.sqrt(a.head_dim))) @ kk.transpose(-1, -2) + bias
            y = (torch.softmax(att, dim=-1) @ vv).transpose(1, 2).reshape(b, s, -1)
            x = x + a.c_proj(y)
            x = x + block.mlp(block.ln_2(x))
        return t.ln_f(x[:, -1]) @ t.wte.weight.t()

    def forward(self, input_ids, attention_mask=None, position_ids=None, past=None):
        """Return (logits [b, s, V], presents [(k, v)] per layer).

        attention_mask: [b, past + s] with 1 for real tokens (None: all ones).
        position_ids:   [b, s] (None: past .. past + s - 1).
        past:           list of (k, v), each [b, heads, past, head_dim], or None.
        """
        b, s = input_ids.shape
        p = 0 if past is None else past[0][0].shape[2]
        if position_ids is None:
            position_ids = torch.arange(p, p + s, dtype=torch.long).unsqueeze(0).expand(b, s)
        t = self.transformer
        x = t.wte(input_ids) + t.wpe(position_ids)
        # causal mask over [past + s] keys, combined with the padding mask
        causal = torch.ones(s, p + s, dtype=torch.bool).tril(diagonal=p)
        allowed = causal.view(1, 1, s, p + s)
        if attention_mask is not None:
            allowed = allowed & attention_mask.view(b, 1, 1, p + s).bool()
        bias = torch.zeros(allowed.shape, dtype=x.dtype).masked_fill(~allowed, torch.finfo(x.dtype).min)
        presents = []
        for i, block in enumerate(t.h):
            pk, pv = (None, None) if past is None else past[i]
            x, k, v = block(x, bias, pk, pv)
            presents.append((k, v))
        x = t.ln_f(x)
        logits = x @ t.wte.weight.t()
        return logits, presents


def hf_config(cfg, eos_id):
    """The config.json a Hugging Face GPT2LMHeadModel with these weights would carry."""
    return {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "vocab_size": cfg["vocab_size"],
        "n_positions": cfg["n_positions"],
        "n_ctx": cfg["n_positions"],
        "n_embd": cfg["n_embd"],
        "n_layer": cfg["n_layer"],
        "n_head": cfg["n_head"],
        "n_inner": None,
        "activation_function": "gelu_new",
        "layer_norm_epsilon": 1e-5,
        "resid_pdrop": 0.0,
        "embd_pdrop": 0.0,
        "attn_pdrop": 0.0,
        "initializer_range": 0.02,
        "scale_attn_weights": True,
        "tie_word_embeddings": True,
        "bos_token_id": eos_id,
        "eos_token_id": eos_id,
        "use_cache": True,
        "torch_dtype": "float32",
    }
