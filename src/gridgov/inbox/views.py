"""The inbox pages: my messages (unread or all, by kind, paginated), opening one (which
marks it read and follows its link) and marking all read. Nobody reaches anyone else's
messages: another user's message is a 404 exactly like one that does not exist."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.viewutils import domain_errors
from gridgov.core.paging import paginate
from gridgov.inbox import actions, queries
from gridgov.inbox.models import MessageKind

PAGE_SIZE = 30


class InboxFilterForm(forms.Form):
    show = forms.ChoiceField(
        label=gettext_lazy("Show"),
        choices=[("unread", gettext_lazy("Unread")), ("all", gettext_lazy("All messages"))],
        required=False,
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[("", gettext_lazy("Any kind")), *MessageKind.choices],
        required=False,
    )

    def criteria(self) -> dict[str, object]:
        """Unread messages of any kind unless asked otherwise (a bad value is ignored)."""
        data = self.cleaned_data if self.is_valid() else {}
        return {"unread": data.get("show", "unread") != "all", "kind": data.get("kind") or None}


@login_required
@require_GET
@domain_errors
def message_list(request: HttpRequest) -> HttpResponse:
    filters = InboxFilterForm(request.GET or {"show": "unread"})
    criteria = filters.criteria()
    rows = queries.search_messages(request.user, **criteria)  # type: ignore[arg-type]
    page = paginate(rows, request.GET.get("page"), PAGE_SIZE)
    every_unread = criteria["unread"] and not criteria["kind"]
    return render(
        request,
        "inbox/message_list.html",
        {
            "filters": filters,
            "unread_only": criteria["unread"],
            "page": page,
            # The page's own count when it lists exactly the unread messages.
            "unread": page.count if every_unread else queries.unread_count(request.user),
        },
    )


@login_required
@require_GET
@domain_errors
def message_open(request: HttpRequest, message_id: int) -> HttpResponse:
    """Reading a message is its read receipt; then on to what it is about, if anywhere."""
    mine = queries.get_message_for(request.user, message_id)
    message = actions.mark_read(mine.pk, actor=request.user)
    link = queries.safe_link(message)
    if link and "stay" not in request.GET:
        return redirect(link)
    crumbs = [(_("Inbox"), reverse("inbox:message_list")), (message.subject, "")]
    return render(
        request,
        "inbox/message_detail.html",
        {"message": message, "link": link, "crumbs": crumbs},
    )


@login_required
@require_POST
@domain_errors
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = actions.mark_all_read(actor=request.user)
    messages.success(request, _("%(count)d messages marked read.") % {"count": count})
    return redirect("inbox:message_list")
