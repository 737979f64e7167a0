"""The two functions of the classic multiprocessing tutorial: each "works" by sleeping.

Run one after the other they take twice as long as one of them; started as two processes
they overlap, and the whole takes about as long as the slower one.
"""

import time


def file_operation_1(seconds: float = 1.0, repeats: int = 5) -> str:
    for i in range(repeats):
        print(f"file_operation_1: step {i + 1} of {repeats}", flush=True)
        time.sleep(seconds)
    return "file_operation_1 done"


def file_operation_2(seconds: float = 1.0, repeats: int = 5) -> str:
    for i in range(repeats):
        print(f"file_operation_2: step {i + 1} of {repeats}", flush=True)
        time.sleep(seconds)
    return "file_operation_2 done"
