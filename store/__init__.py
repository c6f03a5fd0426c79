"""The store: head models, the store API, the schema guard, the server and the CLI."""
