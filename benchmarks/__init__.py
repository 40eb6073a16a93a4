"""Benchmarks for mminit's ``init_weights`` against mmengine, a floor and a replay."""
