"""For users who run their own webhook receiver for the official Messaging API: check
Meta's ``X-Hub-Signature-256``, read the messaging events out of a payload, and turn them into
an Airflow asset event through Airflow's REST API, so that a DAG scheduled on the asset runs.

Nothing here imports Airflow: a receiver runs outside Airflow and talks to its REST API.
``python -m airflow_provider_dm.webhooks.receiver`` is a small reference receiver.
"""
