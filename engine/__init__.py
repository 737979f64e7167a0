"""CoreScope's engine: runs workloads on concurrency backends and records what happened.

Plain Python: it never imports Qt, so the CLI, the GUI and the tests share it unchanged.
"""
