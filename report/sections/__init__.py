"""The report's sections, one module per subject: each turns published frames into its HTML."""
