"""Landmark-guided expression transfer (Fan et al., IEEE Access 2023): the four transfer stages."""
