"""Logged models: their entities, writes and reads (`store.LoggedModelStore`), their search."""
