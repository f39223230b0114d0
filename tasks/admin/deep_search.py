"""The admin's run list and deep numbered pages of a search (tasks/history/paging.py).

The admin has no cursor pages, so a page of a search that starts past run 1,000 of its
matches (no index can skip such an offset: page 1000 of `q=report` tested some 250,000
runs, 750 ms at a million) goes back to the search's first page, with a message that
says why and what to do instead.
"""

from django.contrib import messages
from django.contrib.admin.views.main import PAGE_VAR, SEARCH_VAR
from django.http import HttpResponseRedirect

from tasks.history import filters, paging


def refused(model_admin, request):
    """A redirect to the first page when `request` asks for a deep page of a search;
    None otherwise."""
    text = request.GET.get(SEARCH_VAR, "").strip()
    number = request.GET.get(PAGE_VAR)
    if request.method != "GET" or not text:
        return None  # an action posted from a deep page is done as asked
    if not paging.too_deep_for_a_search(number, model_admin.list_per_page):
        return None
    try:
        runs = filters.apply(model_admin.get_queryset(request), {"q": text})
        paging.refuse_deep_search(runs, {"q": text}, number, model_admin.list_per_page)
    except filters.FilterError:
        return None  # the list says what is wrong with the search
    except paging.TooDeep as exc:
        model_admin.message_user(
            request,
            f"Page {exc.number} of a search cannot be opened: it starts past run "
            f"{paging.SEARCH_OFFSET_LIMIT:,} of the matches, and no index reaches that far "
            "into a search. This is its first page; narrow the search or add filters to "
            "reach older runs.",
            messages.WARNING,
        )
        query = request.GET.copy()
        del query[PAGE_VAR]
        return HttpResponseRedirect(f"{request.path}?{query.urlencode()}")
    return None
