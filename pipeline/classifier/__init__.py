"""The CNN emotion classifier family: train_classifier, evaluate_classifier, score_peer, thesis_table."""
