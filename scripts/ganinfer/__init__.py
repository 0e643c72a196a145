"""Library behind the GAN offline-inference workflow.

Importing the package (and ``ganinfer.registry``) is cheap: nothing here imports
torch, onnx or onnxruntime at module level, so the Snakefile can read the registry
while the DAG is built.
"""

__version__ = "0.1.0"
