"""The development week: five days (Mon 23 - Fri 27 Nov 2026, UTC) of a household life-log.

Three espeak-ng voices narrate: Tom (``en-us+m3``, names himself once, on Monday morning), Priya
(``en-gb+f2``, never introduces herself; others address her by name) and Hannah, the neighbour
(``en-us+f4``, introduces herself once, on Wednesday). People who are only spoken about: Daniel,
Grandma Rose, Doctor Kim, Marco. Signs are drawn into the frames only (never spoken), so they test
OCR. States change over the week (the side gate code, where the spare key is, who is away, where the
bike is), some things recur (balcony plants watered Mon/Wed/Fri in three wordings, runs Tue/Thu),
plans are said before the day they are for, and an afternoon chunk each day carries everyday lines
that answer nothing (errands, chores) and compete with the lines that do.

Every line and sign has an id; questions point at those ids for their gold evidence span.
The text was written as plain diary narration, before any recogniser was run on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

WEEK_START = datetime(2026, 11, 23, tzinfo=UTC)  # Monday 23 November 2026, 00:00 UTC
NOW = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)  # Friday evening: every question is asked "now"
VOICES = {"tom": "en-us+m3", "priya": "en-gb+f2", "hannah": "en-us+f4"}
SIGN_WINDOW_S = (2.0, 14.0)  # a sign is on screen from 2 s to 14 s of its chunk


@dataclass(frozen=True)
class Line:
    """One spoken line: ``id`` (unique in the week), ``voice`` (a key of VOICES), ``text``."""

    id: str
    voice: str
    text: str


@dataclass(frozen=True)
class Chunk:
    """One device chunk: ``day`` 0-4 (Monday..Friday), wall-clock start ``hhmm`` (UTC), the
    background footage (a file under tests/data, video stream only), its spoken lines and the
    signs drawn into it as ``(id, text)``."""

    day: int
    hhmm: str
    background: str
    lines: tuple[Line, ...]
    signs: tuple[tuple[str, str], ...] = field(default=())

    @property
    def name(self) -> str:
        """``d<day>-<hhmm>``, e.g. ``d2-1245``; also the media file's stem."""
        return f"d{self.day}-{self.hhmm.replace(':', '')}"

    @property
    def start(self) -> datetime:
        """Wall-clock time of the chunk's first frame (timezone-aware UTC)."""
        h, m = (int(x) for x in self.hhmm.split(":"))
        return WEEK_START + timedelta(days=self.day, hours=h, minutes=m)


def L(id: str, voice: str, text: str) -> Line:
    """Short constructor for the table below: ``Line(id, voice, text)``."""
    return Line(id, voice, text)


WEEK: tuple[Chunk, ...] = (
    # ------------------------------------------------------------------ Monday
    Chunk(0, "07:45", "sample.mp4", (
        L("mon-am-intro", "tom", "Good morning, this is Tom. It's Monday, and I'm going to keep a little diary this week."),
        L("mon-am-plants", "tom", "I watered the plants on the balcony before my coffee."),
        L("mon-am-dentist", "priya", "Tom, the dentist called. My appointment has moved from Tuesday to Thursday at four."),
        L("mon-am-calendar", "tom", "Okay, Thursday at four. I'll put it on the calendar."),
        L("mon-am-code", "tom", "The code for the side gate is three eight one six, in case anyone needs it."),
    )),
    Chunk(0, "12:30", "day2.mp4", (
        L("mon-noon-lisbon", "tom", "Lunch break. Daniel flies to Lisbon today. He'll be away until Thursday."),
        L("mon-noon-cat", "tom", "He asked me to look after his cat while he's gone."),
        L("mon-noon-key", "tom", "I left the spare key in the blue bowl by the front door."),
    ), (("mon-noon-sign", "FARMERS MARKET - SATURDAY 9 AM"),)),
    Chunk(0, "16:20", "sample.mp4", (
        L("mon-aft-post", "tom", "Walked to the post office to send Mum's birthday card."),
        L("mon-aft-shop", "tom", "On the way back I bought milk, eggs and a loaf of bread."),
        L("mon-aft-washing", "priya", "The washing machine has finished. I've hung the sheets outside."),
    )),
    Chunk(0, "19:10", "day3.mp4", (
        L("mon-pm-risotto", "priya", "Dinner tonight was mushroom risotto. Not bad at all."),
        L("mon-pm-bill", "priya", "The electricity bill came today. One hundred and twelve pounds."),
        L("mon-pm-thanks", "tom", "Thanks, Priya. I'll pay it tomorrow."),
    )),
    # ------------------------------------------------------------------ Tuesday
    Chunk(1, "07:30", "day2.mp4", (
        L("tue-am-run", "tom", "Went for a run along the river this morning, about five kilometres."),
        L("tue-am-bike", "tom", "My bike is making a grinding noise, so I dropped it off at the repair shop on Elm Street."),
        L("tue-am-train", "tom", "I'm taking the train into town today. It leaves at eight fifteen."),
    ), (("tue-am-sign", "PLATFORM 4 - NORTH LINE"),)),
    Chunk(1, "13:00", "sample.mp4", (
        L("tue-noon-library", "priya", "I'm working from the library this afternoon. It's much quieter than the office."),
        L("tue-noon-rose", "priya", "Mum phoned. Grandma Rose is coming to stay with us next weekend."),
        L("tue-noon-paid", "tom", "I paid the electricity bill online just now."),
    )),
    Chunk(1, "16:05", "day2.mp4", (
        L("tue-aft-bus", "priya", "Back from the library. The bus was twenty minutes late again."),
        L("tue-aft-bank", "tom", "I called the bank about the new card. It should arrive next week."),
        L("tue-aft-ironing", "tom", "Did the ironing while listening to the radio."),
    )),
    Chunk(1, "18:50", "day3.mp4", (
        L("tue-pm-soup", "priya", "I made lentil soup for dinner, with far too much cumin."),
        L("tue-pm-pepper", "tom", "Fed Daniel's cat. She's called Pepper, and she ate everything."),
    )),
    # ------------------------------------------------------------------ Wednesday
    Chunk(2, "07:40", "sample.mp4", (
        L("wed-am-plants", "tom", "Gave the balcony plants some water before breakfast."),
        L("wed-am-hannah", "hannah", "Hi, it's Hannah from next door. A parcel came for you yesterday, I've got it here."),
        L("wed-am-kettle", "tom", "Thanks, Hannah. That must be the new kettle."),
    )),
    Chunk(2, "12:45", "day2.mp4", (
        L("wed-noon-cafe", "priya", "Lunch at the little cafe by the station with Hannah. The soup of the day was tomato."),
        L("wed-noon-marco", "hannah", "If your tap is still dripping, call Marco. He fixed our boiler in one afternoon."),
        L("wed-noon-number", "priya", "Hannah says Marco is the best plumber around, so I saved his number."),
    ), (("wed-noon-sign", "CAFE LUNA - OPEN 7 TO 3"),)),
    Chunk(2, "16:10", "sample.mp4", (
        L("wed-aft-tap", "tom", "The kitchen tap is still dripping. I put a bowl under it for now."),
        L("wed-aft-fox", "priya", "There's a fox sitting on the garden wall again."),
        L("wed-aft-email", "priya", "Spent the afternoon answering emails. Nothing exciting."),
    )),
    Chunk(2, "19:20", "day3.mp4", (
        L("wed-pm-key", "tom", "I moved the spare key from the blue bowl into the kitchen drawer. The bowl was too obvious."),
        L("wed-pm-bike", "tom", "The repair shop called. The bike will be ready on Friday."),
        L("wed-pm-dinner", "priya", "We're having dinner with Hannah on Saturday evening. I said we'd bring dessert."),
    )),
    # ------------------------------------------------------------------ Thursday
    Chunk(3, "07:35", "day3.mp4", (
        L("thu-am-run", "tom", "Another run this morning, a shorter one because of the rain."),
        L("thu-am-code", "tom", "I changed the side gate code. It's now nine two zero four."),
        L("thu-am-ack", "priya", "Got it. I'll write it down somewhere safe."),
    )),
    Chunk(3, "13:10", "sample.mp4", (
        L("thu-noon-dentist", "priya", "Just back from the dentist. Doctor Kim says my teeth are fine, no fillings needed."),
        L("thu-noon-checkup", "priya", "The next check-up is in six months."),
    ), (("thu-noon-sign", "DR KIM DENTAL - ROOM 212"),)),
    Chunk(3, "16:30", "day3.mp4", (
        L("thu-aft-clean", "tom", "Cleaned the bathroom and took the recycling out."),
        L("thu-aft-tickets", "priya", "I booked the train tickets for Grandma Rose this afternoon."),
        L("thu-aft-tea", "priya", "Tea and biscuits on the sofa. The rain still hasn't stopped."),
    )),
    Chunk(3, "19:00", "day2.mp4", (
        L("thu-pm-daniel", "tom", "Daniel got back from Lisbon this afternoon and came round to collect Pepper."),
        L("thu-pm-tarts", "tom", "He brought us a box of custard tarts."),
        L("thu-pm-leeds", "hannah", "I'm off to my sister's in Leeds tomorrow morning. I'll be back on Monday."),
    )),
    # ------------------------------------------------------------------ Friday
    Chunk(4, "07:50", "day2.mp4", (
        L("fri-am-plants", "tom", "The plants on the balcony got a good drink this morning."),
        L("fri-am-bike", "tom", "Picked up the bike from the repair shop. The new chain cost eighty five euros."),
    ), (("fri-am-sign", "BIKE FIX - TICKET 5531"),)),
    Chunk(4, "12:50", "sample.mp4", (
        L("fri-noon-kettle", "priya", "Working from home today. The new kettle is much quieter than the old one."),
        L("fri-noon-goldfish", "priya", "Hannah left for Leeds this morning, so I'm feeding her goldfish over the weekend."),
    )),
    Chunk(4, "16:00", "day3.mp4", (
        L("fri-aft-report", "priya", "Finished the quarterly report and sent it off to my manager."),
        L("fri-aft-hinges", "tom", "The side gate was squeaking, so I oiled the hinges."),
        L("fri-aft-shopping", "tom", "Wrote the shopping list for the weekend."),
    )),
    Chunk(4, "19:30", "day3.mp4", (
        L("fri-pm-pizza", "tom", "Pizza night. We ordered from the Italian place on the corner."),
        L("fri-pm-rose", "priya", "Grandma Rose arrives next Saturday on the eleven o'clock train."),
        L("fri-pm-bed", "tom", "Long week. I'm going to bed early."),
    )),
)


def line_ids() -> set[str]:
    """Every line and sign id in the week."""
    out = {ln.id for c in WEEK for ln in c.lines}
    out |= {sid for c in WEEK for sid, _ in c.signs}
    return out
