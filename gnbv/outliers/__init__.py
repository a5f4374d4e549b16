"""Outlier flags (marts.fct_outlier_flag, built by dbt): listing them and marking them reviewed.

The scoring is dbt's (dbt_project/models/intermediate/outliers/); this package only reads the
mart and appends reviews to raw.outlier_reviews (migration V006). A flag is for review, never a
rejection: nothing here changes or drops a figure.
"""
