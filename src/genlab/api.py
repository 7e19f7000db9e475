"""The Python front door the CLI and notebooks share: train, open a run, sample, evaluate, compare, report.

Nothing lives here but re-exports; each piece has its home in its layer (docs/architecture.md):

    from genlab import api
    api.train(api.load_config(None, {"data": {"source": "digits"}}), "runs/vae")
    run = api.load_run("runs/vae", device="cpu")
    x = api.sample(run, 16, seed=0)
    evaluation = api.evaluate(run)          # typed results by evaluator: evaluation["likelihood"].bits_per_dim
"""

from __future__ import annotations

from genlab.apps.compression import compress, decompress
from genlab.apps.decompose import decompose
from genlab.apps.design import design
from genlab.apps.demo import remove_demo_run, run_demo
from genlab.apps.inpaint import inpaint
from genlab.apps.speak import speak
from genlab.apps.superres import upscale
from genlab.config import DataConfig, RunConfig, load_config
from genlab.data import load_data
from genlab.evaluation import Evaluation, evaluate, read_evaluation
from genlab.models.loading import Run, load_run
from genlab.reports.comparison import compare
from genlab.reports.report import write_report
from genlab.reports.traversal import write_traversal
from genlab.sampling import continue_clips, interpolate, reconstructions, sample, sample_grid
from genlab.training.run import train
from genlab.training.trainer import TrainResult

# Every name imported above (tests/test_architecture.py checks): the commands' one way into the library.
__all__ = ["DataConfig", "Evaluation", "Run", "RunConfig", "TrainResult", "compare", "compress", "continue_clips",
           "decompose", "decompress", "design", "evaluate", "inpaint", "interpolate", "load_config", "load_data",
           "load_run", "read_evaluation", "reconstructions", "remove_demo_run", "run_demo", "sample", "sample_grid",
           "speak", "train", "upscale", "write_report", "write_traversal"]
