"""The data family: raw layouts -> canonical datasets -> face crops -> the balanced primary dataset."""
