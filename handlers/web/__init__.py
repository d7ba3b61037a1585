"""The bot's one web server: Telegram's webhook, the board (a Telegram Mini App, and the same
page in a browser), its JSON API, /healthz and /metrics. Thin: parse, call a service, render."""
