"""Write an int8 variant of an exported model: onnx/model.onnx -> onnx/model_quantized.onnx.

Weight matrices become int8 with one scale per output column, symmetric (Jacob et al. 2018,
"Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only Inference").
Activations are quantized at run time, per tensor (uint8, asymmetric), by DynamicQuantizeLinear:
the pattern onnxruntime's own dynamic quantizer writes, which its graph optimiser fuses into one
integer kernel (DynamicQuantizeMatMul) on every CPU build, the wasm one included. Embedding
tables (token and learned position) are int8 with one scale per row, dequantized after the Gather,
so only the rows a step reads are ever widened; rotary cos/sin tables stay float32.

The KV cache goes in and out as float16 (past_key_values.* inputs, present.* outputs), widened to
float32 inside the graph: the cache is what a generation holds for its whole life (n rows x
positions x layers x 2 x kv_heads x head_dim), and half of it is what lets n = 8 x 1000 tokens
fit a Workers isolate's 128 MB beside the runtime. The current position's key and value enter
attention at float32; earlier ones come back rounded to float16 (11-bit mantissa).

The graph is rewritten with the Debian python3-onnx package alone (no onnxruntime for Python
here); transformers.js names this file model_quantized.onnx (its dtype "q8"). The file's content
hash is its model id, so it is fitted and served as a model of its own.

Usage: /usr/bin/python3 training/quantize.py --model models/<name>
"""

import argparse
import json
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

# Matrices smaller than this stay float32 (biases, layer norms): int8 saves nothing there.
MIN_ELEMENTS = 4096


def quantize_columns(w):
    """int8 per output column (axis 1) of a [K, N] matrix, symmetric; returns (q, scale[N])."""
    scale = np.abs(w).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def quantize_rows(w):
    """int8 per row (axis 0) of a [R, D] table, symmetric; returns (q, scale[R])."""
    q, scale = quantize_columns(w.T)
    return q.T.copy(), scale


class Rewriter:
    def __init__(self, model):
        self.model = model
        self.graph = model.graph
        self.inits = {i.name: i for i in self.graph.initializer}
        self.new_inits = []
        self.dropped = set()
        self.count = 0

    def name(self, base):
        self.count += 1
        return f"{base}/q{self.count}"

    def init(self, name, array):
        self.new_inits.append(numpy_helper.from_array(array, name))
        return name

    def weight(self, name):
        t = self.inits.get(name)
        if t is None or t.data_type != TensorProto.FLOAT or len(t.dims) != 2:
            return None
        w = numpy_helper.to_array(t)
        return w if w.size >= MIN_ELEMENTS else None

    def matmul(self, node, a, w, bias):
        """y = a @ w (+ bias) with w int8 per column and a quantized at run time."""
        q, scale = quantize_columns(w)
        base = node.name or node.output[0]
        wq = self.init(self.name(base + "/w_int8"), q)
        ws = self.init(self.name(base + "/w_scale"), scale)
        aq, a_scale, a_zp = self.name(base + "/a_q"), self.name(base + "/a_scale"), self.name(base + "/a_zp")
        acc, accf, s = self.name(base + "/acc"), self.name(base + "/acc_f"), self.name(base + "/scale")
        out = node.output[0]
        scaled = self.name(base + "/scaled") if bias else out
        nodes = [
            helper.make_node("DynamicQuantizeLinear", [a], [aq, a_scale, a_zp]),
            helper.make_node("MatMulInteger", [aq, wq, a_zp], [acc]),
            helper.make_node("Cast", [acc], [accf], to=TensorProto.FLOAT),
            helper.make_node("Mul", [a_scale, ws], [s]),
            helper.make_node("Mul", [accf, s], [scaled]),
        ]
        if bias:
            nodes.append(helper.make_node("Add", [scaled, bias], [out]))
        return nodes

    def gather(self, node, table):
        """rows = table[ids] with the table int8 per row, widened after the Gather."""
        q, scale = quantize_rows(table)
        base = node.name or node.output[0]
        tq = self.init(self.name(base + "/table_int8"), q)
        ts = self.init(self.name(base + "/row_scale"), scale[:, None].copy())
        ids = node.input[1]
        gq, gf, gs = self.name(base + "/rows_q"), self.name(base + "/rows_f"), self.name(base + "/rows_scale")
        return [
            helper.make_node("Gather", [tq, ids], [gq], axis=0),
            helper.make_node("Cast", [gq], [gf], to=TensorProto.FLOAT),
            helper.make_node("Gather", [ts, ids], [gs], axis=0),
            helper.make_node("Mul", [gf, gs], [node.output[0]]),
        ]

    def rewrite(self, node):
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "MatMul":
            w = self.weight(node.input[1])
            if w is not None:
                self.dropped.add(node.input[1])
                return self.matmul(node, node.input[0], w, None)
        if node.op_type == "Gemm" and not attrs.get("transA") and not attrs.get("transB"):
            if attrs.get("alpha", 1.0) == 1.0 and attrs.get("beta", 1.0) == 1.0:
                w = self.weight(node.input[1])
                if w is not None:
                    self.dropped.add(node.input[1])
                    return self.matmul(node, node.input[0], w, node.input[2] if len(node.input) > 2 else None)
        if node.op_type == "Gather" and attrs.get("axis", 0) == 0:
            w = self.weight(node.input[0])
            # rotary cos/sin tables (Llama) stay float32: they are position tables of exact values
            # (row 0 is all ones / all zeros), small, and every attention step multiplies by them
            rotary = w is not None and w.ndim == 2 and (np.all(w[0] == 1.0) or np.all(w[0] == 0.0))
            if w is not None and not rotary:
                self.dropped.add(node.input[0])
                return self.gather(node, w)
        return [node]

    def run(self):
        nodes = [n for node in self.graph.node for n in self.rewrite(node)]
        still_used = {i for n in nodes for i in n.input}
        kept = [i for i in self.graph.initializer if i.name not in self.dropped or i.name in still_used]
        del self.graph.node[:]
        self.graph.node.extend(nodes)
        del self.graph.initializer[:]
        self.graph.initializer.extend(kept + self.new_inits)
        return self.model


def kv_to_float16(model):
    """past_key_values.* inputs and present.* outputs as float16, cast at the graph's edge."""
    graph = model.graph
    renames = {}
    casts_in = []
    for inp in graph.input:
        if inp.name.startswith("past_key_values.") and inp.type.tensor_type.elem_type == TensorProto.FLOAT:
            inp.type.tensor_type.elem_type = TensorProto.FLOAT16
            wide = inp.name + "/float32"
            renames[inp.name] = wide
            casts_in.append(helper.make_node("Cast", [inp.name], [wide], to=TensorProto.FLOAT))
    casts_out = []
    for out in graph.output:
        if out.name.startswith("present.") and out.type.tensor_type.elem_type == TensorProto.FLOAT:
            out.type.tensor_type.elem_type = TensorProto.FLOAT16
            wide = out.name + "/float32"
            renames[out.name] = wide
            casts_out.append(helper.make_node("Cast", [wide], [out.name], to=TensorProto.FLOAT16))
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in renames:
                node.input[i] = renames[name]
        for i, name in enumerate(node.output):
            if name in renames:
                node.output[i] = renames[name]
    nodes = casts_in + list(graph.node) + casts_out
    del graph.node[:]
    graph.node.extend(nodes)
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="model directory (reads onnx/model.onnx)")
    args = ap.parse_args()
    src = os.path.join(args.model, "onnx", "model.onnx")
    dst = os.path.join(args.model, "onnx", "model_quantized.onnx")
    model = onnx.load(src)
    before = sum(numpy_helper.to_array(i).nbytes for i in model.graph.initializer)
    model = kv_to_float16(Rewriter(model).run())
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    after = sum(numpy_helper.to_array(i).nbytes for i in model.graph.initializer)
    print(json.dumps({"source": src, "written": dst, "weight_bytes": [before, after], "file_bytes": os.path.getsize(dst)}))


if __name__ == "__main__":
    main()
