"""Tests of pipeline/app: fer-predict, the recogniser API, video, the web page, export_model."""
