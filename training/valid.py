"""Write the validation token stream of a model for scoring outside PyTorch.

The same stream train.py scores (every 20th chapter, each followed by end-of-text), encoded with
the model's own tokenizer.json, to training/work/valid_ids.json; training/loss.mjs reads it.

Usage: /usr/bin/python3 training/valid.py --model models/<name>
"""
import argparse
import json
import os

import bpe
import corpus



def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    args = ap.parse_args()
    with open(os.path.join(args.model, "tokenizer.json")) as f:
        tok = json.load(f)["model"]
    enc = bpe.Encoder(tok["vocab"], [tuple(m.split(" ")) for m in tok["merges"]])
    _, valid_docs = corpus.split()
    ids = corpus.encode_docs(enc, valid_docs, tok["vocab"][bpe.EOS])
    work = os.path.join(os.path.dirname(os.path.abspath(__file__)), "work")
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "valid_ids.json"), "w") as f:
        json.dump({"model": args.model, "chapters": len(valid_docs), "ids": ids.tolist()}, f)
    print(json.dumps({"chapters": len(valid_docs), "tokens": int(len(ids))}))


if __name__ == "__main__":
    main()
