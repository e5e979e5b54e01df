"""German dates: "2. Dez. 2026", "2. Dez. 2026, 14:05", "14:05" (see mampf/formats/__init__.py).

``N`` is Django's abbreviated month with its German translation ("Dez.", "März", "Mai").
"""

DATE_FORMAT = "j. N Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j. N Y, H:i"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
