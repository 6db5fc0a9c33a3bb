"""Tests of pipeline/classifier (a package, so module names like test_train_lib stay unique per family)."""
