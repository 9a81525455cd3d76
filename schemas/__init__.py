"""The JSON Schema of the budgetlint spec format, shipped as budgetlint.schemas."""
