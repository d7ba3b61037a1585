"""Functional departments (职能部门) as participants: handed problems, chased, counted."""
