"""Template helpers shared by every page."""

from __future__ import annotations

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token, token_kwargs

from gridgov.core.paging import Page

register = template.Library()


@register.filter
def page_window(page: Page, radius: int = 2) -> list[int | None]:
    """Page numbers to offer around the current page: the first, the last and ``radius``
    either side of the current one; None marks a gap (rendered as an ellipsis)."""
    last = page.pages
    wanted = {1, last, *range(page.page - radius, page.page + radius + 1)}
    numbers = sorted(n for n in wanted if 1 <= n <= last)
    window: list[int | None] = []
    for number in numbers:
        if window and number - (window[-1] or 0) > 1:
            window.append(None)
        window.append(number)
    return window


TABLE_OPTIONS = frozenset({"page", "empty", "hint", "flush"})


@register.tag
def table_or_empty(parser: Parser, token: Token) -> TableOrEmptyNode:
    """``{% table_or_empty rows [page=…] [empty=…] [hint=…] [flush=True] %}<thead>…</tbody>
    {% endtable_or_empty %}``: the enclosed rows in a scrolling ``gg-table`` (with the
    pagination of ``page`` below) when ``rows`` has any, else the empty state with the
    ``empty`` message and ``hint``."""
    name, *bits = token.split_contents()
    if not bits:
        raise template.TemplateSyntaxError(f"{name} needs the rows to test for emptiness")
    options = token_kwargs(bits[1:], parser)
    if len(options) != len(bits) - 1 or not options.keys() <= TABLE_OPTIONS:
        raise template.TemplateSyntaxError(
            f"{name} takes the rows, then only {', '.join(sorted(TABLE_OPTIONS))} as name=value"
        )
    body = parser.parse((f"end{name}",))
    parser.delete_first_token()
    return TableOrEmptyNode(parser.compile_filter(bits[0]), options, body)


class TableOrEmptyNode(template.Node):
    child_nodelists = ("body",)

    def __init__(
        self,
        rows: FilterExpression,
        options: dict[str, FilterExpression],
        body: NodeList,
    ) -> None:
        self.rows, self.options, self.body = rows, options, body

    def render(self, context: template.Context) -> str:
        given = {name: option.resolve(context) for name, option in self.options.items()}
        # Every variable the include reads is set, so none leaks in from the page around it.
        if self.rows.resolve(context):
            name = "web/includes/table.html"
            values = {
                "table": self.body.render(context),
                "page": given.get("page"),
                "flush": given.get("flush", False),
            }
        else:
            name = "web/includes/empty.html"
            values = {"message": given.get("empty"), "hint": given.get("hint")}
        assert context.template is not None
        included = context.template.engine.get_template(name)
        with context.push(**values):
            return included.render(context)
