"""The development questions: 90 in 12 categories, asked on Friday 27 Nov 2026 at 21:00 UTC.

Each question has gold ``keywords`` (a list of any-of groups; every group must match the answer)
and gold ``evidence`` (ids of lines or signs in ``script.WEEK``; ``mode="all"`` when every one of
them must be among the top 5 evidence items, as for counts). Unanswerable questions have neither:
their right answer is "not enough evidence". Questions are phrased as a new user would ask them;
the ``paraphrase`` ones share almost no content words with the lines that answer them.
"""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES = ("time_scoped", "current_state", "past_state", "count", "order", "who_said",
              "who_spoken_about", "on_screen_text", "numbers_codes", "plans_vs_facts", "paraphrase",
              "unanswerable")


@dataclass(frozen=True)
class GoldQuestion:
    """One graded question. ``keywords``: tuple of any-of groups (all groups required);
    ``evidence``: gold span ids; ``mode``: "any" (one gold span in the top 5 suffices) or "all";
    ``wrong``: words of the wrong option (the stale state, the other event, the speaker when the
    question is about someone else): a keyword of the first group must come before them."""

    qid: str
    category: str
    text: str
    keywords: tuple[tuple[str, ...], ...] = ()
    evidence: tuple[str, ...] = ()
    mode: str = "any"
    wrong: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        """False for the ``unanswerable`` category."""
        return self.category != "unanswerable"


def _q(cat: str, n: int, text: str, kw: list, ev: str | tuple = (), mode: str = "any",
       wrong: tuple[str, ...] = ()) -> GoldQuestion:
    groups = tuple((g,) if isinstance(g, str) else tuple(g) for g in kw)
    return GoldQuestion(f"{cat}-{n:02d}", cat, text, groups, (ev,) if isinstance(ev, str) else tuple(ev), mode, wrong)


FOUR_DIGIT_NEW = ("9204", "nine two zero four")
FOUR_DIGIT_OLD = ("3816", "three eight one six")

QUESTIONS: tuple[GoldQuestion, ...] = (
    # ----------------------------------------------------------- time-scoped recall
    _q("time_scoped", 1, "What did we have for dinner on Monday?", ["risotto"], "mon-pm-risotto"),
    _q("time_scoped", 2, "What did Priya cook on Tuesday evening?", ["lentil"], "tue-pm-soup"),
    _q("time_scoped", 3, "What did we eat tonight?", ["pizza"], "fri-pm-pizza"),
    _q("time_scoped", 4, "Where was Priya working on Tuesday afternoon?", ["library"], "tue-noon-library"),
    _q("time_scoped", 5, "What soup did they have at lunch on Wednesday?", ["tomato"], "wed-noon-cafe"),
    _q("time_scoped", 6, "What did Daniel bring us yesterday?", ["tart"], "thu-pm-tarts"),
    _q("time_scoped", 7, "What did the neighbour drop off on Wednesday morning?", [("parcel", "package", "kettle")], "wed-am-hannah"),
    _q("time_scoped", 8, "What did I do with the bike this morning?", [("picked", "collected", "pick")], "fri-am-bike"),
    # ----------------------------------------------------------- current state
    _q("current_state", 1, "What's the side gate code?", [FOUR_DIGIT_NEW], "thu-am-code", wrong=FOUR_DIGIT_OLD),
    _q("current_state", 2, "Where is the spare key?", ["drawer"], "wed-pm-key", wrong=("bowl",)),
    _q("current_state", 3, "Is Daniel still in Lisbon?", [("no", "back", "returned", "got back")], "thu-pm-daniel", wrong=("yes",)),
    _q("current_state", 4, "Who is away at the moment?", ["hannah"], ("thu-pm-leeds", "fri-noon-goldfish"), wrong=("daniel",)),
    _q("current_state", 5, "Where is Hannah right now?", ["leeds"], ("thu-pm-leeds", "fri-noon-goldfish")),
    _q("current_state", 6, "Is my bike still at the repair shop?", [("no", "picked", "collected")], "fri-am-bike", wrong=("yes",)),
    _q("current_state", 7, "Who has Pepper now?", ["daniel"], "thu-pm-daniel"),
    # ----------------------------------------------------------- past state
    _q("past_state", 1, "What was the side gate code on Tuesday?", [FOUR_DIGIT_OLD], "mon-am-code", wrong=FOUR_DIGIT_NEW),
    _q("past_state", 2, "Where was the spare key kept on Tuesday?", ["blue bowl"], "mon-noon-key", wrong=("drawer",)),
    _q("past_state", 3, "Where was Daniel on Wednesday?", ["lisbon"], "mon-noon-lisbon"),
    _q("past_state", 4, "Where was my bike on Wednesday?", [("repair", "shop")], "tue-am-bike"),
    _q("past_state", 5, "What was the gate code before it was changed?", [FOUR_DIGIT_OLD], "mon-am-code", wrong=FOUR_DIGIT_NEW),
    _q("past_state", 6, "Who was looking after Daniel's cat on Tuesday?", ["tom"], ("mon-noon-cat", "tue-pm-pepper")),
    _q("past_state", 7, "Had the electricity bill been paid by Tuesday evening?", [("yes", "paid")], "tue-noon-paid", wrong=("no", "not")),
    # ----------------------------------------------------------- count across days
    _q("count", 1, "How many times were the balcony plants watered this week?", [("3", "three")],
       ("mon-am-plants", "wed-am-plants", "fri-am-plants"), "all"),
    _q("count", 2, "How many times did I go running this week?", [("2", "two", "twice")], ("tue-am-run", "thu-am-run"), "all"),
    _q("count", 3, "How many times this week did someone change the side gate code?", [("1", "one", "once")], "thu-am-code", "all"),
    _q("count", 4, "How many times did Priya go to the dentist this week?", [("1", "one", "once")], "thu-noon-dentist", "all"),
    _q("count", 5, "On how many days did anyone water the plants?", [("3", "three")],
       ("mon-am-plants", "wed-am-plants", "fri-am-plants"), "all"),
    _q("count", 6, "How many runs did Tom do this week?", [("2", "two", "twice")], ("tue-am-run", "thu-am-run"), "all"),
    # ----------------------------------------------------------- order
    _q("order", 1, "On Tuesday, did I go running before or after I dropped off the bike?", ["before"], ("tue-am-run", "tue-am-bike"), "all", ("after",)),
    _q("order", 2, "Which came first: moving the spare key or changing the gate code?", ["key"], ("wed-pm-key", "thu-am-code"), "all", ("gate", "code")),
    _q("order", 3, "Did the neighbour's parcel arrive before or after Daniel got back?", ["before"], ("wed-am-hannah", "thu-pm-daniel"), "all", ("after",)),
    _q("order", 4, "On Friday morning, what came first, watering the plants or collecting the bike?", ["plants"], ("fri-am-plants", "fri-am-bike"), "all", ("bike",)),
    _q("order", 5, "Was Priya's dentist visit before or after the gate code change?", ["after"], ("thu-am-code", "thu-noon-dentist"), "all", ("before",)),
    _q("order", 6, "Which was earlier, the lentil soup or the lunch at the cafe?", ["lentil"], ("tue-pm-soup", "wed-noon-cafe"), "all", ("cafe", "lunch")),
    # ----------------------------------------------------------- who said
    _q("who_said", 1, "Who said the dentist appointment had moved?", ["priya"], "mon-am-dentist", wrong=("tom", "hannah")),
    _q("who_said", 2, "Who told us a parcel had come?", ["hannah"], "wed-am-hannah", wrong=("tom", "priya")),
    _q("who_said", 3, "Who said the bike would be ready on Friday?", ["tom"], "wed-pm-bike", wrong=("priya", "hannah")),
    _q("who_said", 4, "Who complained about the cumin?", ["priya"], "tue-pm-soup", wrong=("tom", "hannah")),
    _q("who_said", 5, "Who said they were going to Leeds?", ["hannah"], "thu-pm-leeds", wrong=("tom", "priya")),
    _q("who_said", 6, "Who mentioned that the electricity bill had arrived?", ["priya"], "mon-pm-bill", wrong=("tom", "hannah")),
    _q("who_said", 7, "Who went for a run in the rain?", ["tom"], "thu-am-run", wrong=("priya", "hannah")),
    # ----------------------------------------------------------- who is spoken about
    _q("who_spoken_about", 1, "Who flew to Lisbon?", ["daniel"], "mon-noon-lisbon", wrong=("tom", "priya", "hannah")),
    _q("who_spoken_about", 2, "What's the dentist's name?", ["kim"], "thu-noon-dentist", wrong=("priya",)),
    _q("who_spoken_about", 3, "Which plumber did Hannah recommend?", ["marco"], ("wed-noon-marco", "wed-noon-number"), wrong=("hannah", "priya")),
    _q("who_spoken_about", 4, "Whose cat did Tom feed?", ["daniel"], "tue-pm-pepper", wrong=("hannah", "priya")),
    _q("who_spoken_about", 5, "Who is coming to stay with us?", ["rose"], ("tue-noon-rose", "fri-pm-rose"), wrong=("priya", "tom", "hannah")),
    _q("who_spoken_about", 6, "Who are we having dinner with on Saturday?", ["hannah"], "wed-pm-dinner", wrong=("priya", "tom")),
    _q("who_spoken_about", 7, "Who fixed Hannah's boiler?", ["marco"], "wed-noon-marco", wrong=("hannah",)),
    # ----------------------------------------------------------- on-screen text (signs are never spoken)
    _q("on_screen_text", 1, "What was the cafe called, according to its sign?", ["luna"], "wed-noon-sign"),
    _q("on_screen_text", 2, "Which platform did the station sign show?", [("4", "four")], "tue-am-sign"),
    _q("on_screen_text", 3, "What ticket number was on the bike shop sign?", ["5531"], "fri-am-sign"),
    _q("on_screen_text", 4, "What room number was on the dentist's sign?", ["212"], "thu-noon-sign"),
    _q("on_screen_text", 5, "When is the farmers market, according to the sign I saw on Monday?", ["saturday"], "mon-noon-sign"),
    _q("on_screen_text", 6, "What opening hours did the cafe sign show?", ["7", "3"], "wed-noon-sign"),
    # ----------------------------------------------------------- numbers and codes
    _q("numbers_codes", 1, "How much was the electricity bill?", [("112", "hundred and twelve")], "mon-pm-bill"),
    _q("numbers_codes", 2, "How much did the new bike chain cost?", [("85", "eighty five", "eighty-five")], "fri-am-bike"),
    _q("numbers_codes", 3, "What time did the train into town leave on Tuesday?", [("8:15", "8.15", "815", "eight fifteen", "quarter past eight")], "tue-am-train"),
    _q("numbers_codes", 4, "How far did I run on Tuesday?", [("5", "five")], "tue-am-run"),
    _q("numbers_codes", 5, "Which four digits did Tom give for the gate on Monday?", [FOUR_DIGIT_OLD], "mon-am-code"),
    _q("numbers_codes", 6, "In how many months is Priya's next check-up?", [("6", "six")], "thu-noon-checkup"),
    _q("numbers_codes", 7, "Which train is Grandma Rose taking?", [("11", "eleven")], "fri-pm-rose"),
    # ----------------------------------------------------------- plans vs facts
    _q("plans_vs_facts", 1, "When is Priya's dentist appointment?", ["thursday"], ("mon-am-dentist", "thu-noon-dentist", "thu-noon-sign"), wrong=("tuesday",)),
    _q("plans_vs_facts", 2, "Did Priya see the dentist on Tuesday?", [("no", "thursday")], ("mon-am-dentist", "thu-noon-dentist"), wrong=("yes",)),
    _q("plans_vs_facts", 3, "When was the bike supposed to be ready?", ["friday"], "wed-pm-bike"),
    _q("plans_vs_facts", 4, "What are we bringing to dinner at Hannah's?", ["dessert"], "wed-pm-dinner"),
    _q("plans_vs_facts", 5, "When does Grandma Rose arrive?", ["saturday"], ("fri-pm-rose", "tue-noon-rose")),
    _q("plans_vs_facts", 6, "When is Hannah coming back from Leeds?", ["monday"], "thu-pm-leeds"),
    _q("plans_vs_facts", 7, "Until when was Daniel meant to be away?", ["thursday"], "mon-noon-lisbon"),
    # ----------------------------------------------------------- paraphrase
    _q("paraphrase", 1, "What did we pay to get the bicycle fixed?", [("85", "eighty five", "eighty-five")], "fri-am-bike"),
    _q("paraphrase", 2, "Where did I hide the extra house key most recently?", ["drawer"], "wed-pm-key"),
    _q("paraphrase", 3, "What was the verdict on Priya's teeth?", [("fine", "no fillings")], "thu-noon-dentist"),
    _q("paraphrase", 4, "Which appliance was in the package the neighbour kept for us?", ["kettle"], "wed-am-kettle"),
    _q("paraphrase", 5, "What's the name of Daniel's pet?", ["pepper"], "tue-pm-pepper"),
    _q("paraphrase", 6, "What was wrong with my bicycle?", [("grinding", "noise")], "tue-am-bike"),
    _q("paraphrase", 7, "On which street is the place that mends bikes?", ["elm"], "tue-am-bike"),
    _q("paraphrase", 8, "Is the replacement kettle louder than the previous one?", [("no", "quieter")], "fri-noon-kettle", wrong=("yes", "louder")),
    _q("paraphrase", 9, "Who is minding the neighbour's fish?", ["priya"], "fri-noon-goldfish", wrong=("hannah",)),
    # ----------------------------------------------------------- unanswerable (right answer: not enough evidence)
    _q("unanswerable", 1, "What colour is Hannah's car?", []),
    _q("unanswerable", 2, "When did I go swimming this week?", []),
    _q("unanswerable", 3, "What is the code for the garage door?", []),
    _q("unanswerable", 4, "How much did the dentist visit cost?", []),
    _q("unanswerable", 5, "Where did Daniel stay in Lisbon?", []),
    _q("unanswerable", 6, "Which film did we watch on Wednesday night?", []),
    _q("unanswerable", 7, "What is Priya's phone number?", []),
    _q("unanswerable", 8, "What did we have for breakfast on Thursday?", []),
    _q("unanswerable", 9, "Who visited us on Sunday?", []),
    _q("unanswerable", 10, "What time does the pharmacy close?", []),
    _q("unanswerable", 11, "How many eggs are left in the fridge?", []),
    _q("unanswerable", 12, "What is Marco's phone number?", []),
    _q("unanswerable", 13, "What was the name of Hannah's sister?", []),
)
