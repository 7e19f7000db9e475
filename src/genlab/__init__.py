"""genlab: learn how a dataset was generated, sample new data, measure the model honestly."""

__version__ = "0.1.0"
