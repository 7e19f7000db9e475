"""genlab studio: one local web page to look at, compare and use every trained run (`genlab studio RUNS_DIR`).

`catalog.py` reads run folders (through RunFolder and the typed evaluation results, never by parsing files of
its own) and resolves every name the browser sends inside RUNS_DIR; `server.py` makes the FastAPI app, whose JSON
API under /api/ (documented at /docs) is the routers in `routes/`, one a concern, taking the bodies in
`requests.py` and sharing one `state.Studio` (the runs folder, the opened runs, the jobs, the scratch folder);
`static/` holds the page itself, plain HTML, CSS and JavaScript, served by the package, no build step and nothing
fetched from the network.
"""
