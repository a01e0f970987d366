#!/usr/bin/env bash
# Rebuild the default model end to end: corpus -> tokenizer -> training -> ONNX export ->
# parity check -> evaluation -> q8 variant and its loss -> model card. About an hour on a 2-core machine.
# Debian's torch is only visible to /usr/bin/python3 (the python3 first on PATH may be another).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:-models/kjv-gpt2-4m}
PY=/usr/bin/python3
$PY training/train.py --out "$MODEL" "$@"
$PY training/export.py --model "$MODEL"
node training/check-onnx.mjs "$MODEL" | tee "$MODEL/parity.json"
$PY training/evaluate.py --model "$MODEL"
$PY training/quantize.py --model "$MODEL"
(cd training && $PY valid.py --model "../$MODEL")
node training/loss.mjs "$MODEL"
$PY training/card.py --model "$MODEL"
