"""Bringing a body's members in (docs/import.md): a JSON Lines file checked line by line with the API's
own models and rules, each member's history replayed through the program's use cases, then written."""
