"""budgetlint: keep neural-network architectures inside their device budgets.

From Python (README, "Python API"):

    import budgetlint
    result = budgetlint.check(["specs/mobile.yaml"])     # as `budgetlint check`
    result.exit_code, result.to_dict()                   # the --format json document
    for model in budgetlint.evaluate("specs/zoo/resnet50.yaml"):
        print(model.name, model.params, model.macs)

The names below are imported when first used, so that `import budgetlint` (and the
command line, which starts here) costs nothing.
"""

__version__ = "0.1.0"

__all__ = ["CheckResult", "ModelEvaluation", "SpecProblems", "check", "evaluate"]

_TYPE_CHECKING = False  # typing itself is not imported: the hook's fast path starts here
if _TYPE_CHECKING:
    from typing import Any

    from budgetlint.api import CheckResult, ModelEvaluation, SpecProblems, check, evaluate


def __getattr__(name: str) -> "Any":
    if name in __all__:
        from budgetlint import api

        return getattr(api, name)
    raise AttributeError(f"module 'budgetlint' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
