"""Publish: the official tables in their own layout (KPI status table, policy indicator table, KPI sheets) as print
HTML, PDF and XLSX, and the whole site as static files a plain web server or CDN can carry."""
