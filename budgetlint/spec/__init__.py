"""Specs: load YAML safely, validate it, expand it into architectures and budgets."""
