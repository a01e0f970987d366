"""Corpus for the default model: the King James Bible from Debian's `bible-kjv-text`.

The text is public domain (the Debian package carries Chip Chapin's "unrestricted use"
legend). It is read through the `bible` program of the `bible-kjv` package, one chapter per
document; every 20th chapter is held out for validation, so validation text is never seen in
training, not even as a neighbouring window.
"""
import re
import subprocess

VERSE = re.compile(r"^([1-3]?[A-Za-z]+)(\d+):(\d+) (.*)$")
HOLDOUT_EVERY = 20


def chapters():
    """Yield (book, chapter, text) in canonical order; verses of a chapter joined as prose."""
    out = subprocess.run(["bible", "-f", "Gen1:1-Rev22:21"], check=True, capture_output=True, text=True).stdout
    key, verses = None, []
    for line in out.splitlines():
        m = VERSE.match(line)
        if not m:
            continue
        book, chap, _, text = m.groups()
        if (book, chap) != key:
            if verses:
                yield key[0], key[1], " ".join(verses)
            key, verses = (book, chap), []
        verses.append(text.strip())
    if verses:
        yield key[0], key[1], " ".join(verses)


def split():
    """Return (train_docs, valid_docs): lists of chapter texts."""
    train, valid = [], []
    for i, (_, _, text) in enumerate(chapters()):
        (valid if i % HOLDOUT_EVERY == HOLDOUT_EVERY - 1 else train).append(text)
    return train, valid


def encode_docs(enc, docs, eos):
    """One token stream: each document followed by end-of-text."""
    import numpy as np

    out = []
    for d in docs:
        out.extend(enc.encode(d))
        out.append(eos)
    return np.array(out, dtype=np.int64)
