from __future__ import annotations

from budgetlint.entry import main

raise SystemExit(main())
