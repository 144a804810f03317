"""The `minyi` command: the operator's commands, the bot, and the tools, in one typer app."""
