"""Reports and exports (issue 12 item 4): participation, exam admission, registration audit,
and everything stored about one person. See ``operations.reports.views`` for the pages."""
