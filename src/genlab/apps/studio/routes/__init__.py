"""The studio's API under /api/, one FastAPI router a concern: `runs` (the runs list, a run's page, its files),
`sampling` (samples at once or as a job, the job's events and cancelling it), `latent` (walks and traversals of
a latent space), `uploads` (uploading an image and the apps that take one: upscale, compress, decompose),
`speech` (a tts run says a text). Each route reaches the shared Studio (state.py) through its StudioDep
parameter; server.py includes the routers."""
