# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Per-alias work a few at a time, the results in the order of the input.

The APIs take one name per question (ListConflictingAliases, ListDomainConflicts, AssociateAlias, a DNS
query), so a run over many aliases spends its time waiting on the network, once per alias. A small pool
of threads waits for several answers at once. The pool is bounded: CloudFront's control plane throttles
(every request still goes through botocore's retries, set in ``_aws``) and a zone has few nameservers.
Results come back in the input's order, so that a module's output never depends on which answer came first.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, List, Optional, TypeVar

# CloudFront and Route 53 requests in flight at once, per module run.
AWS_WORKERS = 8
# DNS questions in flight at once, per module run (each waits at most the resolver's timeout).
DNS_WORKERS = 16

T = TypeVar("T")
R = TypeVar("R")


class NotStarted(Exception):
    """The item was not started because an earlier item (in the pool) had already failed."""


def map_ordered(function: Callable[[T], R], items: Iterable[T], workers: int) -> List[R]:
    """``[function(item) for item in items]``, with up to ``workers`` calls at once.

    The first item runs alone: what every item needs once (a lazily read index, a client, the answer to "does
    this endpoint offer the operation") is then in place, and a failure that every item would meet (credentials,
    permissions) stops the run after one request, as a loop would. After that, when an item fails, no further item
    is started, those already running finish, and the first failure in input order is raised.
    """
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        return [function(item) for item in items]
    first = function(items[0])
    outcomes = map_settled(function, items[1:], workers, stop_on_error=True)
    results = [first]
    for outcome in outcomes:
        if isinstance(outcome, NotStarted):
            continue
        if isinstance(outcome, BaseException):
            raise outcome
        results.append(outcome)
    return results


def map_settled(function: Callable[[T], R], items: Iterable[T], workers: int,
                stop_on_error: bool = False) -> List[object]:
    """Each item's result or the exception it raised, in input order, with up to ``workers`` calls at once.

    With ``stop_on_error``, items not yet started when one fails are not started: their place holds a
    ``NotStarted``. Callers that must report every item's fate (what was changed before a failure) use this.
    """
    items = list(items)
    stop = threading.Event()

    def settle(item: T) -> object:
        if stop.is_set():
            return NotStarted()
        try:
            return function(item)
        except Exception as exc:  # handed back in its item's place; the caller decides
            if stop_on_error:
                stop.set()
            return exc

    if workers <= 1 or len(items) <= 1:
        return [settle(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(settle, items))


def first_error(outcomes: Iterable[object]) -> Optional[BaseException]:
    """The first exception among ``map_settled``'s outcomes (NotStarted ones excepted), or None."""
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, NotStarted):
            return outcome
    return None
