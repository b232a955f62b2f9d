"""Airflow operators for Instagram Direct: fetch the inbox and threads, upload media, send items."""
