"""The reporting cycle: the secretariat opens a round, reporters enter their KPIs' actuals, the secretariat
returns or approves each report and publishes the round as an immutable edition that the public pages then show."""
