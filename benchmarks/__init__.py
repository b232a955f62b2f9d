"""Benchmarks of airflow-provider-dm: each case measures our code against its baselines in the
same run, in fresh processes, and reports medians, spreads and ratios (`python -m benchmarks`)."""
