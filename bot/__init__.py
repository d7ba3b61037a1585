"""Bangban: configuration, domain services, scheduling, i18n and the composition root."""
