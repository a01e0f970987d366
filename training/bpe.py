"""Byte-level BPE trainer that writes a Hugging Face `tokenizer.json`.

Debian bookworm has no python3-tokenizers, so the pipeline trains its own
GPT-2-style tokenizer (Radford et al. 2019, "Language Models are Unsupervised
Multitask Learners", section 2.2): text is split by the GPT-2 regex, each piece
is mapped to bytes, bytes to printable unicode, and the most frequent adjacent
pair is merged until the vocabulary is full. The output loads unchanged in
@huggingface/tokenizers and @huggingface/transformers.
"""
import collections
import json

import regex

# The exact pattern the ByteLevel pre-tokenizer uses (use_regex: true).
GPT2_PATTERN = regex.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
)
EOS = "<|endoftext|>"


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable-char map (so merges never hold raw control bytes)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE_MAP = bytes_to_unicode()


def pieces(text):
    for piece in GPT2_PATTERN.findall(text):
        yield "".join(BYTE_MAP[b] for b in piece.encode("utf-8"))


def train(documents, vocab_size):
    """Return (vocab: dict token->id, merges: list[(a, b)]). Id 0 is the end-of-text token."""
    words = collections.Counter()
    for doc in documents:
        words.update(pieces(doc))
    seqs = [list(w) for w in words]
    freqs = [words[w] for w in words]

    pair_counts = collections.Counter()
    where = collections.defaultdict(set)
    for i, (s, f) in enumerate(zip(seqs, freqs)):
        for a, b in zip(s, s[1:]):
            pair_counts[a, b] += f
            where[a, b].add(i)

    vocab = {EOS: 0}
    for ch in sorted(BYTE_MAP.values()):
        vocab[ch] = len(vocab)
    merges = []
    while len(vocab) < vocab_size and pair_counts:
        # ties broken lexicographically so the result is reproducible
        (a, b), count = max(pair_counts.items(), key=lambda kv: (kv[1], kv[0]))
        if count < 2:
            break
        merged = a + b
        merges.append((a, b))
        vocab[merged] = len(vocab)
        for i in list(where[a, b]):
            s, f = seqs[i], freqs[i]
            for x, y in zip(s, s[1:]):
                pair_counts[x, y] -= f
                if pair_counts[x, y] <= 0:
                    del pair_counts[x, y]
                where[x, y].discard(i)
            out, j = [], 0
            while j < len(s):
                if j + 1 < len(s) and s[j] == a and s[j + 1] == b:
                    out.append(merged)
                    j += 2
                else:
                    out.append(s[j])
                    j += 1
            seqs[i] = out
            for x, y in zip(out, out[1:]):
                pair_counts[x, y] += f
                where[x, y].add(i)
    return vocab, merges


class Encoder:
    """Applies the learned merges exactly as the BPE model in tokenizer.json does (lowest rank first)."""

    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.ranks = {m: r for r, m in enumerate(merges)}
        self.cache = {}

    def encode_piece(self, piece):
        if piece in self.cache:
            return self.cache[piece]
        s = list(piece)
        while len(s) > 1:
            ranked = [(self.ranks.get((x, y), 1 << 30), k) for k, (x, y) in enumerate(zip(s, s[1:]))]
            r, k = min(ranked)
            if r == 1 << 30:
                break
            s = s[:k] + [s[k] + s[k + 1]] + s[k + 2:]
        ids = [self.vocab[t] for t in s]
        self.cache[piece] = ids
        return ids

    def encode(self, text):
        out = []
        for p in pieces(text):
            out.extend(self.encode_piece(p))
        return out


def tokenizer_json(vocab, merges):
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": 0, "content": EOS, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
        ],
        "normalizer": None,
        "pre_tokenizer": byte_level,
        "post_processor": {**byte_level, "trim_offsets": False},
        "decoder": byte_level,
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": "",
            "end_of_word_suffix": "",
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": [f"{a} {b}" for a, b in merges],
        },
    }


def tokenizer_config(context):
    return {
        "tokenizer_class": "GPT2Tokenizer",
        "bos_token": EOS,
        "eos_token": EOS,
        "unk_token": EOS,
        "add_bos_token": False,
        "add_prefix_space": False,
        "model_max_length": context,
        "clean_up_tokenization_spaces": False,
        # A plain-text chat format for a model that never saw chat data: each turn is
        # "Role: content" on its own paragraph, and the prompt ends with "Assistant:".
        "chat_template": (
            "{% for message in messages %}{{ message['role'] | capitalize }}: {{ message['content'] }}\n\n{% endfor %}"
            "{% if add_generation_prompt %}Assistant:{% endif %}"
        ),
    }


def save(path_dir, vocab, merges, context):
    with open(f"{path_dir}/tokenizer.json", "w") as f:
        json.dump(tokenizer_json(vocab, merges), f, ensure_ascii=False)
    with open(f"{path_dir}/tokenizer_config.json", "w") as f:
        json.dump(tokenizer_config(context), f, indent=2)
