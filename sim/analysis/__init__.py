"""Analysis layer: KPIs and the binding constraint derived from a replication's flows, the result
tables, and the `run` API that validates, simulates and checks every replication."""
