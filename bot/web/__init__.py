"""The web board's services: who is asking (Telegram's signed init data, a one-time link's
session), and what they may see and do. No HTTP here: handlers/web/ is the adapter."""
