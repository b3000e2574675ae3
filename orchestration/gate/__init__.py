"""The publish gate's Dagster side: the gate asset and its checks (`asset`), the registry of rules,
the evidence readers (`<family>_evidence`), evaluation, and the Great Expectations runner (`gx`)."""
