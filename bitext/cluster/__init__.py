"""The Ray engine: `bitext translate --engine ray` on a laptop or a cluster.

runtime.py  start or join Ray, on loopback unless told otherwise
worker.py   the actor on every CPU (or GPU): analyses bytes, translates batches
driver.py   the engine the pipeline talks to: actor pool, prefetching analyser,
            a Translator that sends its batches to the actors

Nothing here imports Ray at import time; Ray is the optional extra `ray`.
"""
