"""Model layer: the ledger, one module per node kind, the simulation of one replication, the
mass-balance check and the random streams."""
