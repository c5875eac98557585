"""The float16 storage of exported models: smaller in memory, the same numbers."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

from bot.training.onnx_float16 import cast_after_gather, store_weights_as_float16


def _lookup_model(path, table: np.ndarray, projection: np.ndarray) -> None:
    """ids -> Gather(table) -> MatMul(projection): an embedding table read by a Gather, and a weight
    read by something else."""
    graph = helper.make_graph(
        [
            helper.make_node("Gather", ["table", "ids"], ["rows"]),
            helper.make_node("MatMul", ["rows", "projection"], ["out"]),
        ],
        "lookup",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["n"])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["n", projection.shape[1]])],
        [numpy_helper.from_array(table, "table"), numpy_helper.from_array(projection, "projection")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def _run(path, ids: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, {"ids": ids})[0])


def test_tables_read_by_gather_stay_float16_and_outputs_do_not_change(tmp_path):
    rng = np.random.default_rng(0)
    # Values a float16 holds exactly, so the float32 original and the float16 copy compute alike.
    table = rng.normal(size=(2000, 8)).astype(np.float16).astype(np.float32)
    projection = rng.normal(size=(8, 200)).astype(np.float16).astype(np.float32)
    _lookup_model(tmp_path / "fp32.onnx", table, projection)

    store_weights_as_float16(tmp_path / "fp32.onnx", tmp_path / "model.onnx")

    model = onnx.load(str(tmp_path / "model.onnx"))
    gather = next(n for n in model.graph.node if n.op_type == "Gather")
    assert gather.input[0] == "table__fp16"  # the Gather reads the float16 table itself
    consumers = [n for n in model.graph.node if gather.output[0] in n.input]
    assert [n.op_type for n in consumers] == ["Cast"]
    cast_inputs = {n.input[0] for n in model.graph.node if n.op_type == "Cast"}
    assert "projection__fp16" in cast_inputs and "table__fp16" not in cast_inputs
    ids = np.array([0, 5, 1999, 5], dtype=np.int64)
    np.testing.assert_array_equal(_run(tmp_path / "model.onnx", ids), _run(tmp_path / "fp32.onnx", ids))


def test_a_table_also_read_by_another_node_is_cast_whole(tmp_path):
    table = np.ones((2000, 8), dtype=np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Cast", ["table__fp16"], ["table"], to=TensorProto.FLOAT),
            helper.make_node("Gather", ["table", "ids"], ["rows"]),
            helper.make_node("ReduceSum", ["table"], ["total"]),
        ],
        "shared",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["n"])],
        [
            helper.make_tensor_value_info("rows", TensorProto.FLOAT, ["n", 8]),
            helper.make_tensor_value_info("total", TensorProto.FLOAT, []),
        ],
        [numpy_helper.from_array(table.astype(np.float16), "table__fp16")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])

    assert cast_after_gather(model) == 0
    assert model.graph.node[1].input[0] == "table"
