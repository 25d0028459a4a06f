"""Config layer: the parameter table, value kinds and units, series, lifetimes, composition and
validation into frozen parameters in canonical units (kg, yr), and the user-error type."""
