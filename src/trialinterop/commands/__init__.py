"""One click command per module; `cli.COMMANDS` lists them."""
