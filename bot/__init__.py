"""spotify-error-bot: names Spotify errors from pasted text and answers in Discord."""

__version__ = "0.1.0"
