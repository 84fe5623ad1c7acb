"""Understanding a patient's message: pure functions of its text and the clinic's clock, with no I/O.

`understand` reads a message into an `Understanding` (intent, date, time, specialty, doctor, clinic topics,
emergency kind, small talk); everything it uses lives here: normalization, the phrase patterns, dates and times,
and the learned emergency model's reader.
"""

from gateway.understanding.emergencies import Emergency
from gateway.understanding.intents import Intent
from gateway.understanding.nlu import Understanding, understand
from gateway.understanding.times import TimeOfDay

__all__ = ["Emergency", "Intent", "TimeOfDay", "Understanding", "understand"]
