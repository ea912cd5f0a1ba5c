"""Which registry fields a condition reads, when that does not depend on the values.

The explanation names the data an unknown result lacks: the fields its undecided conditions
read that have no value (`explain_record`). For conditions built from comparisons, arithmetic,
and/or, `in` lists and sums over years, the scalar evaluator reads every field in them, in the
order written; the batch can then name the same missing fields for a whole frame. Conditions
with other functions (tables, `if`, growth rates, certificates) read depending on the values,
and are left to the explanation (None)."""

from __future__ import annotations

from . import ast as A

Read = tuple[str, int | None]
_OVER_YEARS = ("sum", "avg", "count", "min", "max")


def fields_read(node: A.Node) -> list[Read] | None:
    """The (field, year) reads of `node` in the evaluator's order, or None."""
    if isinstance(node, A.Field):
        return [(node.name, node.year)]
    if isinstance(node, A.Num | A.Str | A.DateLit | A.Bool | A.NoValue | A.Input):
        return []
    if isinstance(node, A.Unary):
        return fields_read(node.operand)
    if isinstance(node, A.InList):
        return fields_read(node.operand)
    if isinstance(node, A.Binary | A.Compare):
        if isinstance(node, A.Compare) and any(
            isinstance(side, A.Call) and side.fn == "cagr" for side in (node.left, node.right)
        ):
            return None
        left, right = fields_read(node.left), fields_read(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, A.Logic):
        out: list[Read] = []
        for item in node.items:
            found = fields_read(item)
            if found is None:
                return None
            out += found
        return out
    if isinstance(node, A.Call) and node.fn in _OVER_YEARS and len(node.args) == 1:
        years = node.args[0]
        if isinstance(years, A.Range):
            return [(years.name, year) for year in years.years]
    return None
