"""Test-only simulator of ``python3 -m ais_bench`` (see tests/sim/README.md)."""
