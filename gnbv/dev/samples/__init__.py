"""SYNTHETIC sample files (marked so in every workbook): a province's months (``province``), the
national month of the benchmark (``national``), BI months in the warehouse (``bi_months``)."""
