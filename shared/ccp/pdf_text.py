"""Text for the core PDF fonts (Latin-1): what they cannot draw is replaced rather than failing."""


def latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")
