"""A Llama-architecture causal LM (Touvron et al. 2023, "LLaMA") in plain PyTorch 1.13.

What makes it Llama rather than GPT-2, and what real small edge models (SmolLM, Qwen2, TinyLlama)
share: rotary position embeddings (Su et al. 2021, "RoFormer"; Hugging Face's rotate-half layout),
RMSNorm (Zhang & Sennrich 2019) before each block, a SwiGLU feed-forward (Shazeer 2020) and
grouped-query attention (Ainslie et al. 2023, "GQA"): fewer key/value heads than query heads, so the
KV cache an engine carries is n_kv_head / n_head the size of multi-head attention's.

Parameter names and shapes follow `LlamaForCausalLM` (model.layers.{i}.self_attn.q_proj, ...,
nn.Linear [out, in], no biases, tied lm_head), so the exported config.json describes it exactly.
`forward` takes and returns past key/values as [batch, kv_heads, past, head_dim] with the rotation
already applied to the keys, as Hugging Face's ONNX exports of Llama models do.
"""
import math

import torch
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(head_dim, positions, theta):
    """cos/sin [positions, head_dim] for the rotate-half layout (frequencies repeated, not interleaved)."""
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    freqs = torch.outer(torch.arange(positions, dtype=torch.float32), inv)
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def apply_rope(x, cos, sin):
    """x [b, heads, s, hd]; cos/sin [b, 1, s, hd]."""
    return x * cos + rotate_half(x) * sin


def repeat_kv(x, n_rep):
    """[b, kv, T, hd] -> [b, kv * n_rep, T, hd]: query head h reads key/value head h // n_rep."""
    if n_rep == 1:
        return x
    b, kv, t, hd = x.shape
    return x[:, :, None].expand(b, kv, n_rep, t, hd).reshape(b, kv * n_rep, t, hd)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, self.h, self.kv = cfg["n_embd"], cfg["n_head"], cfg["n_kv_head"]
        self.hd = d // self.h
        self.q_proj = nn.Linear(d, self.h * self.hd, bias=False)
        self.k_proj = nn.Linear(d, self.kv * self.hd, bias=False)
        self.v_proj = nn.Linear(d, self.kv * self.hd, bias=False)
        self.o_proj = nn.Linear(self.h * self.hd, d, bias=False)

    def project(self, x, cos, sin):
        b, s, _ = x.shape
        q = self.q_proj(x).view(b, s, self.h, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(b, s, self.kv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, s, self.kv, self.hd).transpose(1, 2)
        return apply_rope(q, cos, sin), apply_rope(k, cos, sin), v

    def attend(self, q, k, v, bias):
        """q [b, h, s, hd] over the whole cache k/v [b, kv, T, hd]; returns [b, s, h * hd]."""
        n_rep = self.h // self.kv
        # scaling q rather than the [s, T] scores saves a pass over the largest tensor
        att = (q * (1.0 / math.sqrt(self.hd))) @ repeat_kv(k, n_rep).transpose(-1, -2) + bias
        y = torch.softmax(att, dim=-1) @ repeat_kv(v, n_rep)
        b, _, s, _ = q.shape
        return self.o_proj(y.transpose(1, 2).reshape(b, s, self.h * self.hd))

    def forward(self, x, cos, sin, bias, past_k, past_v):
        q, k, v = self.project(x, cos, sin)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        return self.attend(q, k, v, bias), k, v


class MLP(nn.Module):
    """SwiGLU: down(silu(gate(x)) * up(x))."""

    def __init__(self, d, ffn):
        super().__init__()
        self.gate_proj = nn.Linear(d, ffn, bias=False)
        self.up_proj = nn.Linear(d, ffn, bias=False)
        self.down_proj = nn.Linear(ffn, d, bias=False)

    def forward(self, x):
        g = self.gate_proj(x)
        return self.down_proj(g * torch.sigmoid(g) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["n_embd"]
        self.input_layernorm = RMSNorm(d, cfg["rms_norm_eps"])
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(d, cfg["rms_norm_eps"])
        self.mlp = MLP(d, cfg["n_ffn"])

    def forward(self, x, cos, sin, bias, past_k, past_v):
        a, k, v = self.self_attn(self.input_layernorm(x), cos, sin, bias, past_k, past_v)
        x = x + a
        return x + self.mlp(self.post_attention_layernorm(x)), k, v


class Body(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["n_embd"])
        self.layers = nn.ModuleList([Layer(cfg) for _ in range(cfg["n_layer"])])
        self.norm = RMSNorm(cfg["n_embd"], cfg["rms_norm_eps"])


class Llama(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.model = Body(cfg)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                # GPT-2's init, residual projections scaled by 1/sqrt(2 * layers)
                residual = name.endswith("o_proj.weight") or name.endswith("down_proj.weight")
                nn.init.normal_(p, std=0.02 / (math.sqrt(2 * cfg["n_layer"]) if residual else 1.0))
        cos, sin = rope_tables(cfg["n_embd"] // cfg["n_head"], cfg["n_positions"], cfg["rope_theta"])
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)

    def rope(self, position_ids):
        return self.rope_cos[position_ids].unsqueeze(1), self.rope_sin[position_ids].unsqueeze(1)

    def logits(self, x):
        return self.model.norm(x) @ self.model.embed_tokens.weight.t()

    @torch.no_grad()
    def decode(self, ids, position_ids, bias, cached):
        """Logits of the last position [b, V]; `cached(i, k, v)` stores layer i's new keys/values
        and returns the whole cache (evaluate.Decoder keeps it preallocated)."""
        cos, sin = self.rope(position_ids)
        x = self.model.embed_tokens(ids)
        for i, layer in enumerate(self.model.layers):
            a = layer.self_attn
            q, k, v = a.project(layer.input_layernorm(x), cos, sin)
            x = x + a.attend(q, *cached(i, k, v), bias)
            x = x + layer.mlp(layer.post_attention_layernorm(x))
        return self.logits(x[:, -1])

    def forward(self, input_ids, attention_mask=None, position_ids=None, past=None):
        """Return (logits [b, s, V], presents [(k, v)] per layer); same contract as model.GPT."""
        b, s = input_ids.shape
        p = 0 if past is None else past[0][0].shape[2]
        if position_ids is None:
            position_ids = torch.arange(p, p + s, dtype=torch.long).unsqueeze(0).expand(b, s)
        cos, sin = self.rope(position_ids)
        x = self.model.embed_tokens(input_ids)
        causal = torch.ones(s, p + s, dtype=torch.bool).tril(diagonal=p)
        allowed = causal.view(1, 1, s, p + s)
        if attention_mask is not None:
            allowed = allowed & attention_mask.view(b, 1, 1, p + s).bool()
        bias = torch.zeros(allowed.shape, dtype=x.dtype).masked_fill(~allowed, torch.finfo(x.dtype).min)
        presents = []
        for i, layer in enumerate(self.model.layers):
            pk, pv = (None, None) if past is None else past[i]
            x, k, v = layer(x, cos, sin, bias, pk, pv)
            presents.append((k, v))
        return self.logits(x), presents


def hf_config(cfg, eos_id):
    """The config.json a Hugging Face LlamaForCausalLM with these weights would carry."""
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": cfg["vocab_size"],
        "hidden_size": cfg["n_embd"],
        "intermediate_size": cfg["n_ffn"],
        "num_hidden_layers": cfg["n_layer"],
        "num_attention_heads": cfg["n_head"],
        "num_key_value_heads": cfg["n_kv_head"],
        "head_dim": cfg["n_embd"] // cfg["n_head"],
        "max_position_embeddings": cfg["n_positions"],
        "hidden_act": "silu",
        "rms_norm_eps": cfg["rms_norm_eps"],
        "rope_theta": cfg["rope_theta"],
        "rope_scaling": None,
        "attention_bias": False,
        "mlp_bias": False,
        "attention_dropout": 0.0,
        "initializer_range": 0.02,
        "tie_word_embeddings": True,
        "bos_token_id": eos_id,
        "eos_token_id": eos_id,
        "use_cache": True,
        "torch_dtype": "float32",
    }


def cfg_from_hf(hf):
    """The training config back from config.json (export and evaluation rebuild the module)."""
    return {
        "arch": "llama",
        "vocab_size": hf["vocab_size"],
        "n_positions": hf["max_position_embeddings"],
        "n_embd": hf["hidden_size"],
        "n_layer": hf["num_hidden_layers"],
        "n_head": hf["num_attention_heads"],
        "n_kv_head": hf["num_key_value_heads"],
        "n_ffn": hf["intermediate_size"],
        "rms_norm_eps": hf["rms_norm_eps"],
        "rope_theta": hf["rope_theta"],
    }
