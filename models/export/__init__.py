"""ONNX export of the cascade, its manifest, and the torch-vs-onnxruntime agreement check."""
