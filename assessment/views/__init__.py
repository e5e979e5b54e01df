"""Assessment pages, one module per audience or area (grading, submissions, sheets, staff, student).

Routes live in ``assessment/urls.py``.
"""
