"""Guanxi (关系): a customer relationship maintenance system."""

__version__ = "0.1.0"
