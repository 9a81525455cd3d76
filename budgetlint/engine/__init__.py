"""The analytic cost engine: shapes in, costs out; no framework, no tensors."""
