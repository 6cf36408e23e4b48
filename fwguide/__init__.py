"""fwguide: should this project use PyTorch or TensorFlow?"""

__version__ = "0.1.0"
