#!/usr/bin/env python3
"""Test-only: validate ONNX files with ONNX's own checker (full_check runs strict shape inference).

Usage: python3 reference/onnx_check.py MODEL.onnx [MODEL.onnx ...]
Exit codes: 0 all valid, 1 a model is invalid (message on stderr), 3 the `onnx` package is
missing (install Debian's python3-onnx). Prints one JSON line per model on stdout.
"""
import json
import sys

try:
    import onnx
except ImportError as error:  # pragma: no cover - environment dependent
    print(f"python3-onnx is not installed: {error}", file=sys.stderr)
    sys.exit(3)


def main(paths):
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    for path in paths:
        try:
            onnx.checker.check_model(path, full_check=True)
        except Exception as error:  # onnx raises ValidationError / InferenceError
            print(f"{path}: {type(error).__name__}: {error}", file=sys.stderr)
            return 1
        model = onnx.load(path)
        print(json.dumps({
            "path": path,
            "onnx": onnx.__version__,
            "ir_version": model.ir_version,
            "opsets": {o.domain or "ai.onnx": o.version for o in model.opset_import},
            "nodes": [n.op_type for n in model.graph.node],
            "metadata": {p.key: p.value for p in model.metadata_props},
        }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
