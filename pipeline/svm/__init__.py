"""Discriminator-feature SVMs (SVM paper 002): stages svm_features and svm."""
