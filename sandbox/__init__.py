"""Tools to try the bot without Telegram: `minyi demo` and `minyi sandbox`, over the emulator."""
