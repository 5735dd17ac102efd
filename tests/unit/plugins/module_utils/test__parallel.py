# -*- coding: utf-8 -*-
# Copyright: aliasguard contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Per-alias work a few at a time: the input's order, the first item alone, no new start after a failure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

import pytest

from ansible_collections.aliasguard.cloudfront.plugins.module_utils._parallel import (
    NotStarted,
    first_error,
    map_ordered,
    map_settled,
)


def test_results_keep_the_input_order_whatever_finishes_first():
    # Later items finish first: the result is still in the input's order.
    def slow_first(n):
        time.sleep(0.002 * (20 - n))
        return n * n

    assert map_ordered(slow_first, range(20), 8) == [n * n for n in range(20)]


def test_several_run_at_once_after_the_first_ran_alone():
    running, most, lock = [0], [0], threading.Lock()
    first_done = threading.Event()

    def work(n):
        if n == 0:
            assert running[0] == 0
            first_done.set()
            return n
        assert first_done.is_set()
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return n

    assert map_ordered(work, range(12), 4) == list(range(12))
    assert 1 < most[0] <= 4


def test_a_failing_first_item_stops_everything():
    calls = []

    def work(n):
        calls.append(n)
        raise ValueError("no credentials")

    with pytest.raises(ValueError):
        map_ordered(work, range(10), 8)
    assert calls == [0]


def test_after_a_failure_nothing_new_starts_and_the_first_failure_in_order_is_reported():
    def work(n):
        if n in (1, 2):
            raise ValueError("refused %d" % n)
        return n

    outcomes = map_settled(work, range(40), 1, stop_on_error=True)
    assert outcomes[0] == 0 and str(outcomes[1]) == "refused 1"
    assert all(isinstance(o, NotStarted) for o in outcomes[2:])
    assert str(first_error(outcomes)) == "refused 1"
    assert first_error([1, NotStarted(), 2]) is None
