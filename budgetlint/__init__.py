"""budgetlint: keep neural-network architectures inside their device budgets."""

from __future__ import annotations

__version__ = "0.1.0"
