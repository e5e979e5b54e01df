"""One 24-hour date style for every page (settings.FORMAT_MODULE_PATH = "mampf.formats").

English "2 Dec 2026, 14:05", German "2. Dez. 2026, 14:05". The short formats are the same as the
long ones, so a date reads the same in a table and in a sentence. Input formats and everything
not named here fall back to Django's own locale modules.
"""
