"""Airflow on this machine: DAG runs in this process (``runner``), a throw-away
``airflow standalone`` (``standalone``) and the monthly demo through Airflow (``demo``)."""
