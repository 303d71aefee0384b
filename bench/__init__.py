"""Benchmarks: `make bench` (python -m bench) builds a data set and prints figures. See bench/README.md."""

DATASET_VERSION = 2  # bump when the generated data changes shape: cached data sets are then rebuilt
INCOMPLETE = 3  # exit status of bench/prepare.py when the cached data set has lost rows; the parent rebuilds it
