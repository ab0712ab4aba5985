"""A local body's own plan (官民データ活用推進計画): national measures chosen from the catalogue, the body's KPIs,
the draft as DOCX/XLSX, and the KPIs' actuals rated under the plan's scheme."""
