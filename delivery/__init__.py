"""Delivery: notices rendered into Telegram messages and sent at Telegram's pace."""
