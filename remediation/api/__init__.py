"""The JSON API of result remediation (Django REST framework, OpenAPI through drf-spectacular)."""
