"""tests/scale: sweeps on DVC's queue, training under tf.distribute, stages fanned out over a DVC remote.

Marked `scale` (deselect with `-m "not scale"`): they start processes (DVC, TF workers) and take about a
minute together on 2 CPU cores.
"""


def pytest_configure(config):
    config.addinivalue_line("markers", "scale: starts DVC / TensorFlow worker processes (tests/scale)")
