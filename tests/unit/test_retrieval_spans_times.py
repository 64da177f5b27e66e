"""Clock times written the way speech recognisers and British writing put them ("at 8.15", "at 815")."""

from __future__ import annotations

import pytest

from memory_core.retrieval.spans import clock_times


@pytest.mark.parametrize(("text", "values"), [
    ("The ferry goes at 9.40 tomorrow.", ["9:40"]),
    ("Be there by 6 .30pm please.", ["6:30pm"]),
    ("It opens at 7.05am sharp.", ["7:05am"]),
    ("The bus left at 745.", ["7:45"]),
    ("We worked until 1930, then ate.", ["19:30"]),
    ("Lunch at 12:30 and tea at 4.15.", ["12:30", "4:15"]),
    ("They arrived at 7 pm.", ["7 pm"]),
])
def test_dotted_and_run_together_times_after_a_time_preposition(text, values):
    assert sorted(s.value for s in clock_times(text)) == sorted(values)


@pytest.mark.parametrize("text", [
    "They live at 815 Harbour Road.",   # an address
    "We climbed to 1200 metres.",       # no time preposition, and a unit
    "We stopped at 2.5 km.",            # a distance
    "The jar was 9.99 at the shop.",    # a price without a preposition before it
    "Room 1260 is at 975 metres.",      # hours or minutes out of range / a unit
    "It scored 8.15 out of ten.",       # a score
])
def test_quantities_and_addresses_are_not_times(text):
    assert clock_times(text) == []
