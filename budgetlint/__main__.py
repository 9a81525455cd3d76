from __future__ import annotations

from budgetlint.cli import main

raise SystemExit(main())
