"""Imported once by the extraction pool's fork server, so that its workers start warm.

Workers are forked from the fork server: what is loaded here (trafilatura and the rest of
the pipeline's imports, the language model, the Russian dictionary that topic rules are
compiled with, trafilatura's lazily built state) is shared by every worker instead of being
loaded by each, which cost ~0.9 s of CPU per worker on every crawl.
"""

import contextlib

from pipelines import worker

# A failure here must not kill the fork server: each worker warms up again and reports it.
with contextlib.suppress(Exception):
    worker.warm_up()
