"""See student.py (students' pages) and staff.py (staff pages)."""
