"""Apache Airflow provider for Instagram Direct: inbox, threads, every item type, uploads.

Importing the package is cheap on purpose: Airflow loads it during provider discovery.
"""

from __future__ import annotations

from airflow_provider_dm.provider_info import get_provider_info

__version__ = "0.1.0"
__all__ = ["__version__", "get_provider_info"]
