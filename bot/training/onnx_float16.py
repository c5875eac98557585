"""Store an ONNX model's large weights as float16 while it still computes in float32.

Two rewrites, both exact (the model's outputs do not change by a single bit):

* every large float32 weight is stored as float16 behind a ``Cast``: half the file, and onnxruntime
  folds each such Cast into a float32 weight once, when the session loads;
* a lookup table read only by ``Gather`` (the word and position embeddings) is not cast
  whole: each Gather reads the float16 table and casts just the rows it picked. Casting a float16
  value to float32 is exact, so this gives the same numbers, while the 30,522-row word table stays in
  memory at half its float32 size (about 23 MB saved per model, in every process that loads it).

``python -m bot.training.onnx_float16 MODEL.onnx`` applies the second rewrite to an already exported
model in place.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np


def store_weights_as_float16(source: Path, target: Path, min_elements: int = 1024) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    casts = []
    for initializer in list(graph.initializer):
        if initializer.data_type != TensorProto.FLOAT:
            continue
        weights = numpy_helper.to_array(initializer)
        if weights.size < min_elements:
            continue
        half_name = initializer.name + "__fp16"
        graph.initializer.remove(initializer)
        graph.initializer.append(numpy_helper.from_array(weights.astype(np.float16), half_name))
        casts.append(helper.make_node("Cast", [half_name], [initializer.name], to=TensorProto.FLOAT))
    for node in reversed(casts):
        graph.node.insert(0, node)
    cast_after_gather(model)
    onnx.save(model, str(target))


def cast_after_gather(model) -> int:
    """Move the Cast of each float16 table that only Gathers read to after those Gathers; returns how
    many tables moved."""
    from onnx import TensorProto, helper

    graph = model.graph
    half_initializers = {i.name for i in graph.initializer if i.data_type == TensorProto.FLOAT16}
    graph_outputs = {o.name for o in graph.output}
    moved = 0
    for cast in [n for n in graph.node if n.op_type == "Cast" and n.input[0] in half_initializers]:
        table = cast.output[0]
        readers = [n for n in graph.node if table in n.input]
        if table in graph_outputs or not readers:
            continue
        if any(n.op_type != "Gather" or list(n.input).index(table) != 0 or table in n.input[1:] for n in readers):
            continue
        for gather in readers:
            rows = gather.output[0]
            half_rows = rows + "__fp16"
            gather.input[0] = cast.input[0]
            gather.output[0] = half_rows
            position = list(graph.node).index(gather)
            graph.node.insert(position + 1, helper.make_node("Cast", [half_rows], [rows], to=TensorProto.FLOAT))
        graph.node.remove(cast)
        moved += 1
    return moved


def main(argv: list[str]) -> int:
    import onnx

    if len(argv) != 1:
        print("usage: python -m bot.training.onnx_float16 MODEL.onnx", file=sys.stderr)
        return 2
    path = Path(argv[0])
    model = onnx.load(str(path))
    moved = cast_after_gather(model)
    onnx.save(model, str(path))
    print(f"{path}: {moved} float16 lookup tables now cast after their Gather")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
