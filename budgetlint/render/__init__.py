"""Output formats: one module each, named by a row of budgetlint.render.formats.FORMATS
and imported only when its format is used."""
