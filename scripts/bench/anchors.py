#!/usr/bin/env python3
"""The GEMM anchors Kiln's CPU backend is compared with, on the same machine in the same run.

  anchors.py M N K THREADS [REPEATS]

prints one JSON line: onnxruntime's MatMulInteger (an exact int8 x int8 -> int32 GEMM, MLAS
kernels) and numpy's float32 matmul (OpenBLAS sgemm), each the best of REPEATS timed runs
after one warm-up, on random int8 operands of the same shape. The thread count must be set
before numpy is imported, so run one process per thread count.
"""
import json
import os
import sys
import time

m, n, k, threads = (int(x) for x in sys.argv[1:5])
repeats = int(sys.argv[5]) if len(sys.argv) > 5 else 3
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(threads)
# Both slow a current numpy down on these machines (ENVIRONMENT.md).
os.environ.pop("OPENBLAS_CORETYPE", None)
os.environ.pop("OPENBLAS_L2_SIZE", None)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

rng = np.random.default_rng(7)
a = rng.integers(-128, 128, size=(m, k), dtype=np.int8)
b = rng.integers(-128, 128, size=(k, n), dtype=np.int8)


def best(run):
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


graph = helper.make_graph(
    [helper.make_node("MatMulInteger", ["A", "B"], ["C"])],
    "gemm",
    [
        helper.make_tensor_value_info("A", TensorProto.INT8, [m, k]),
        helper.make_tensor_value_info("B", TensorProto.INT8, [k, n]),
    ],
    [helper.make_tensor_value_info("C", TensorProto.INT32, [m, n])],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
options = ort.SessionOptions()
options.intra_op_num_threads = threads
options.inter_op_num_threads = 1
session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
feed = {"A": a, "B": b}
c = session.run(None, feed)[0]
# Exactness of the anchor itself, on a corner of C.
corner = a[:8].astype(np.int64) @ b[:, :8].astype(np.int64)
assert (c[:8, :8] == corner).all(), "onnxruntime's MatMulInteger is not exact here"
ort_s = best(lambda: session.run(None, feed))

af, bf = a.astype(np.float32), b.astype(np.float32)
blas_s = best(lambda: af @ bf)

ops = 2.0 * m * n * k
print(json.dumps({
    "m": m, "n": n, "k": k, "threads": threads,
    "onnxruntime_s": ort_s, "onnxruntime_gops": ops / ort_s / 1e9,
    "openblas_s": blas_s, "openblas_gflops": ops / blas_s / 1e9,
    "onnxruntime": ort.__version__, "numpy": np.__version__,
}))
